/** The SQL tag roster uses everywhere, the schema of statements that return no rows, and the one way it runs a multi-statement script. */
import { sql as slonikSql, type QuerySqlToken } from 'slonik';
import { z } from 'zod';
import { InternalError } from '../errors.ts';

export const sql = slonikSql;

/** The rows of a statement that returns none (an insert, update or delete without `returning`, DDL). */
export const NoRows = z.object({}).strict();

/**
 * A query that runs `script`, trusted SQL that roster itself ships (a migration file, generated grants), never user
 * input. slonik sends one statement per query, so the script runs through PL/pgSQL's EXECUTE, which takes several;
 * the script is passed as a string literal escaped by slonik's own `sql.literalValue`.
 */
export function trustedScript(script: string): QuerySqlToken<typeof NoRows> {
  if (script.includes('$roster_do$')) throw new InternalError('a migration script may not contain the $roster_do$ quote tag');
  return sql.type(NoRows)`do $roster_do$ begin execute ${sql.literalValue(script)}; end $roster_do$`;
}
