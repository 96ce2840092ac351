/** The SQL tag roster uses everywhere, and the one way it runs a multi-statement script. */
import { sql as slonikSql, type QuerySqlToken } from 'slonik';
import { InternalError } from '../errors.ts';

export const sql = slonikSql;

/**
 * A query that runs `script`, trusted SQL that roster itself ships (a migration file), never user input.
 * slonik sends one statement per query, so the script runs through PL/pgSQL's EXECUTE, which takes several.
 */
export function trustedScript(script: string): QuerySqlToken {
  if (script.includes('$roster_script$') || script.includes('$roster_do$')) {
    throw new InternalError('a migration script may not contain the $roster_script$ or $roster_do$ quote tags');
  }
  const text = `do $roster_do$ begin execute $roster_script$${script}$roster_script$; end $roster_do$`;
  const fragment = { type: Symbol.for('SLONIK_TOKEN_FRAGMENT'), sql: text, values: [] };
  return sql.unsafe`${fragment as never}`;
}
