/**
 * A fingerprint of everything one organization's plan depends on in the database: for each table, how many rows
 * and a hash over every row's version (xmin) and place (ctid), which change with every insert, update and delete,
 * whoever makes them. Equal fingerprints mean the same stored state; it is read in one cheap query.
 */
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { sql } from './sql.ts';

/** The fingerprint, or null when the organization does not exist. */
export async function readFingerprint(db: CommonQueryMethods, organization: string): Promise<string | null> {
  const text = await db.maybeOneFirst(sql.type(z.object({ fingerprint: z.string() }))`
    with o as (select id, xmin::text || ctid::text as v from organizations where key = ${organization})
    select concat_ws('/',
      (select id::text || ':' || v from o),
      (select id::text from roster_database),
      (select count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text || ctid::text, 0)), 0)::text from companies where organization_id = (select id from o)),
      (select count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text || ctid::text, 0)), 0)::text from roles where organization_id = (select id from o)),
      (select count(*)::text || ':' || coalesce(sum(hashtextextended(p.xmin::text || p.ctid::text, 0)), 0)::text
         from role_permissions p join roles r on r.id = p.role_id where r.organization_id = (select id from o)),
      (select count(*)::text || ':' || coalesce(sum(hashtextextended(xmin::text || ctid::text, 0)), 0)::text from users where organization_id = (select id from o))) as fingerprint
    from o`);
  return text;
}
