/** Running roster the way people do: in-process through main() with captured streams, or as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The command line's entry point in the sources (the package's `roster` is its compiled form, dist/cli/bin.js). */
export const BIN = join(REPO_ROOT, 'src', 'cli', 'bin.ts');
/**
 * How a child process runs the sources with no build step: tsx's loader, by absolute URL so that any working
 * directory (and any user that can read the checkout) works.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** Lines typed at the prompt; stdin is a terminal when given. */
  readonly typed?: string;
  readonly stdoutIsTTY?: boolean;
}

/** Runs `roster argv` in this process. The environment is only what `env` gives (plus PATH). */
export async function runRoster(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (options.typed !== undefined) {
    stdin.isTTY = true;
    stdin.end(options.typed);
  } else {
    stdin.end();
  }
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.stdoutIsTTY ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin,
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

/** A roster child process: the process itself (to signal it) and its result once it has exited. */
export interface RunningRoster {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult & { signal: NodeJS.Signals | null }>;
}

/** Starts `roster argv` as a child process running the sources (src/cli/bin.ts through tsx), with no terminal. */
export function startRoster(argv: string[], options: RunOptions & { uid?: number; gid?: number; timeoutMs?: number } = {}): RunningRoster {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, BIN, ...argv], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
    timeout: options.timeoutMs ?? 120_000,
  });
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `roster argv` as a child process running the sources, with no terminal. */
export async function spawnRoster(argv: string[], options: RunOptions & { uid?: number; gid?: number; timeoutMs?: number } = {}): Promise<RunResult> {
  const { code, stdout, stderr } = await startRoster(argv, options).done;
  return { code, stdout, stderr };
}

/** A new empty directory under the OS temp directory. */
export function tempDir(prefix = 'roster-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes configuration files: values that are strings are written as is, others as YAML. Returns the directory. */
export async function writeConfig(files: Record<string, unknown>, dir?: string): Promise<string> {
  const root = dir ?? (await tempDir());
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, typeof content === 'string' || content instanceof Uint8Array ? content : stringify(content));
  }
  return root;
}
