/**
 * Reading configuration files: a bounded number at a time (10,000 files at once would exceed the usual open-file
 * limit of 256 or 1,024), regular files only (a FIFO would block forever), none larger than roster reads.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ConfigError, type Diagnostic } from '../errors.ts';
import { displayPath } from './discover.ts';

/** The largest file roster reads (a million users in one file is about 130 MB; Node.js strings stop near 512 MB). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Files open at the same time while reading: enough to keep the disk busy, far below any open-file limit. */
const CONCURRENT_READS = 32;

/**
 * Reads `paths` (absolute), in order. Throws {@link ConfigError} naming every file that is too large, not a
 * regular file, or cannot be read, each shown relative to `cwd`.
 */
export async function readConfigFiles(paths: readonly string[], cwd: string): Promise<Uint8Array[]> {
  const contents = new Array<Uint8Array>(paths.length);
  const problems: Diagnostic[] = [];
  let next = 0;
  const reader = async () => {
    while (next < paths.length) {
      const index = next++;
      const result = await readOne(paths[index]!, displayPath(paths[index]!, cwd));
      if ('problem' in result) problems.push(result.problem);
      else contents[index] = result.bytes;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, paths.length) }, reader));
  if (problems.length > 0) throw new ConfigError(problems);
  return contents;
}

async function readOne(path: string, shown: string): Promise<{ bytes: Uint8Array } | { problem: Diagnostic }> {
  const refuse = (message: string) => ({ problem: { position: { file: shown, line: 1, col: 1 }, message } });
  let handle;
  try {
    // Non-blocking, so that opening a FIFO returns at once (to be refused) instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return refuse(`cannot read this file (${reason(error)})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return refuse('not a regular file: roster reads YAML files');
    if (info.size > MAX_FILE_BYTES) return { problem: fileTooLarge(shown, info.size) };
    const bytes = await handle.readFile();
    // A file that grew between the check and the read is measured again.
    if (bytes.length > MAX_FILE_BYTES) return { problem: fileTooLarge(shown, bytes.length) };
    return { bytes };
  } catch (error) {
    return refuse(`cannot read this file (${reason(error)})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function fileTooLarge(path: string, bytes: number): Diagnostic {
  const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
  return {
    position: { file: path, line: 1, col: 1 },
    message: `the file is ${mib(bytes)}, more than roster reads (${mib(MAX_FILE_BYTES)}): split it into several files`,
  };
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'it no longer exists';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return code ?? 'unknown reason';
  }
}
