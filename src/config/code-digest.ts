/**
 * A digest of the code that is running: every source or compiled file of the directory roster runs from (`src/`
 * when run from the sources, `dist/` when compiled, the start-up bundle's directory when bundled), roster's schemas,
 * its package manifest and the installed dependencies' lock. Caches are keyed by it, so an edit to any of them
 * makes every cached answer a miss; no version needs bumping by hand.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareStrings } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';

/** Files that make up code or data the code reads; declarations and source maps change nothing that runs. */
const CODE_FILE = /\.(?:[cm]?[jt]s|json|sql)$/;
const NOT_CODE = /\.d\.[cm]?ts$|\.map$/;

let digest: Promise<string> | undefined;

/** The digest, computed once per process (a few milliseconds: the files are small). */
export function codeDigest(): Promise<string> {
  digest ??= computeDigest();
  return digest;
}

async function computeDigest(): Promise<string> {
  const root = codeRoot(dirname(fileURLToPath(import.meta.url)));
  const files = [
    ...(await listFiles(root)),
    ...(await listFiles(join(PACKAGE_ROOT, 'schema'))),
    ...['package.json', 'package-lock.json', join('node_modules', '.package-lock.json')].map((name) => join(PACKAGE_ROOT, name)).filter((path) => existsSync(path)),
  ];
  const contents = await Promise.all(files.map((path) => readFile(path)));
  const hash = createHash('sha256');
  files.forEach((path, i) => hash.update(relative(PACKAGE_ROOT, path)).update('\0').update(contents[i]!).update('\0'));
  return hash.digest('hex');
}

/**
 * The directory the running code lives in: the nearest one above this module that holds the CLI's entry point
 * (`cli/run.ts` in the sources and `dist/`, `run.js` in a bundle), else this module's own directory.
 */
function codeRoot(moduleDirectory: string): string {
  for (let directory = moduleDirectory; ; directory = dirname(directory)) {
    if (['cli/run.ts', 'cli/run.js', 'run.js'].some((entry) => existsSync(join(directory, entry)))) return directory;
    if (directory === PACKAGE_ROOT || dirname(directory) === directory) return moduleDirectory;
  }
}

/** Every code file below `directory`, sorted; hidden folders and dependencies are not code. */
async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && CODE_FILE.test(entry.name) && !NOT_CODE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !relative(directory, path).split(/[\\/]/).some((part) => part.startsWith('.') || part === 'node_modules'))
    .sort(compareStrings);
}
