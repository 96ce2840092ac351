/**
 * The embedded database (PGlite) runs migration 0006 too: its roster_email_key agrees with roster's emailKey, its
 * unique index refuses two spellings of one login, and its triggers keep the predefined roles.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.ts';
import { sql } from '../../src/db/sql.ts';
import { FOLD_FROM } from '../../src/model/email-fold.ts';
import { emailKey } from '../../src/model/state.ts';
import { tempDir } from '../support/cli.ts';

describe('the embedded database', () => {
  it('enforces roster email identity and predefined roles, as PostgreSQL does', { timeout: 300_000 }, async () => {
    const root = await tempDir();
    const database = await openDatabase({ url: null, root, log: () => undefined, migrate: true });
    try {
      const pool = database.pool;
      const samples = [
        'Bob@Example.COM', 'İvan@x.com', 'Jose\u0301@x.com', 'ΣΑΣ@x.com', '\u212Aelvin@x.com', 'boss@x.com\uFEFF', 'a\u00A0@x.com',
        ...FOLD_FROM.map((c) => `x${String.fromCodePoint(c)}@a`),
      ];
      const rows = await pool.any(sql.unsafe`
        select roster_email_key(e) as key from unnest(${sql.array(samples, 'text')}) with ordinality as t (e, n) order by n`);
      expect(rows.map((r) => r.key)).toEqual(samples.map(emailKey));

      await pool.query(sql.unsafe`insert into organizations (key, name) values ('pglite', 'PGlite')`);
      await pool.query(sql.unsafe`insert into companies (organization_id, key, name) select id, 'hq', 'HQ' from organizations`);
      const insert = (email: string) =>
        pool.query(sql.unsafe`
          insert into users (organization_id, email, first_name, last_name, role_id, company_id)
          select o.id, ${email}, 'A', 'B', r.id, c.id from organizations o
            join roles r on r.organization_id = o.id and r.key = 'viewer' join companies c on c.organization_id = o.id`);
      await insert('jos\u00e9@pglite.com');
      await expect(insert('JOSE\u0301@pglite.com')).rejects.toThrow(/unique/);
      await expect(pool.query(sql.unsafe`delete from roles where key = 'editor'`)).rejects.toThrow(/predefined/);
      await expect(pool.query(sql.unsafe`delete from role_permissions p using roles r where p.role_id = r.id and r.key = 'admin'`)).rejects.toThrow(/predefined/);
    } finally {
      await database.close();
    }
  });
});
