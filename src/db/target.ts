/** Which database a plan was made against, in words a reviewer can check and nothing secret. */
import { basename, dirname } from 'node:path';
import type { Database } from './connection.ts';

/**
 * `host:port/database` for a server (from the connection's redacted description: never a user, password or query
 * parameter), `embedded (.roster/pgdata)` for the embedded database. Pure.
 */
export function databaseTarget(database: Pick<Database, 'description' | 'embedded'>): string {
  if (database.embedded) return `embedded (${basename(dirname(database.description))}/${basename(database.description)})`;
  return targetOfUrl(database.description);
}

/** `host:port/database` of a PostgreSQL connection string; a placeholder when it is not a URL (it could hold anything). */
export function targetOfUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a connection string that is not a URL)';
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || parsed.searchParams.get('port') || '5432';
  const name = decoded(parsed.pathname.replace(/^\//, '')) || parsed.searchParams.get('dbname') || '(default database)';
  return `${host}:${port}/${name}`;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
