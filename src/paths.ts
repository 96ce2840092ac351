/**
 * Where roster's own files are: the package root, and the data files under it (schemas, migrations).
 * Every path to a shipped file goes through here, so the code runs the same from the sources (src/, in
 * development) and compiled (dist/, in the package): both sit one level below the root, which holds schema/
 * and src/db/migrations/ in the checkout and in the installed package alike (package.json `files`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above this module holding roster's package.json. */
function findPackageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'roster') return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`cannot find roster's package.json above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();

/** An absolute path below the package root. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

/** A JSON file shipped with roster (a schema, package.json). */
export function readPackageJson<T>(...segments: string[]): T {
  return JSON.parse(readFileSync(packagePath(...segments), 'utf8')) as T;
}
