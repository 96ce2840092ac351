/**
 * The configuration as a Git revision holds it, read without checking anything out: `git ls-tree` lists the YAML
 * files under the paths, `git show REV:./path` gives each one's bytes. Git runs with hooks and fsmonitor off and no
 * system configuration, so a repository's settings cannot run a command while roster only reads it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.ts';

const run = promisify(execFile);
const YAML_FILE = /\.ya?ml$/i;
const MAX_BYTES = 256 * 1024 * 1024;

/** Files of a revision: absolute paths (where they would be in the working tree) and their bytes. */
export interface RevisionFiles {
  readonly paths: readonly string[];
  readonly contents: readonly Uint8Array[];
}

async function git(args: readonly string[], cwd: string): Promise<Buffer> {
  const { GIT_EXTERNAL_DIFF: _diff, GIT_SSH_COMMAND: _ssh, ...inherited } = process.env;
  const env = { ...inherited, GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat' };
  const settings = ['core.fsmonitor=false', 'core.hooksPath=/dev/null', 'protocol.allow=never'].flatMap((s) => ['-c', s]);
  const { stdout } = await run('git', [...settings, '--no-optional-locks', ...args], { cwd, env, encoding: 'buffer', maxBuffer: MAX_BYTES, timeout: 30_000 });
  return stdout;
}

/**
 * Reads the YAML files that revision `ref` holds under `paths` (relative to `cwd`; default `.`), skipping hidden
 * folders and node_modules as discovery does. Throws UserError when `cwd` is not in a Git repository or `ref` names no
 * revision.
 */
export async function readRevisionFiles(options: { ref: string; paths: readonly string[]; cwd: string }): Promise<RevisionFiles> {
  const { ref, cwd } = options;
  if (ref.startsWith('-')) throw new UserError(`--base '${ref}' is not a Git revision`);
  try {
    await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd);
  } catch {
    throw new UserError(`--base ${ref}: no such Git revision here (is ${cwd} in a Git checkout, and was ${ref} fetched? In CI: git fetch origin main)`);
  }
  const paths = options.paths.length > 0 ? options.paths : ['.'];
  const listed = (await git(['ls-tree', '-r', '-z', '--name-only', ref, '--', ...paths], cwd)).toString('utf8').split('\0').filter((p) => p !== '');
  const files = [...new Set(listed)]
    .filter((p) => YAML_FILE.test(p) && !p.split('/').slice(0, -1).some((part) => part.startsWith('.') && part !== '.' && part !== '..' || part === 'node_modules'))
    .sort();
  const contents: Uint8Array[] = [];
  for (const file of files) contents.push(await git(['show', `${ref}:./${file}`], cwd));
  return { paths: files.map((file) => resolve(cwd, file)), contents };
}
