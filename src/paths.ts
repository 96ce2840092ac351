/**
 * Where roster's own files are: the package root, and the data files under it (schemas, migrations).
 * Every path to a shipped file goes through here, so the sources run the same from src/ and from the
 * start-up bundle bin/roster.js keeps in .roster-build/ (both one directory below the root).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** An absolute path below the package root. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

/** A JSON file shipped with roster (a schema, package.json). */
export function readPackageJson<T>(...segments: string[]): T {
  return JSON.parse(readFileSync(packagePath(...segments), 'utf8')) as T;
}
