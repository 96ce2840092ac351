/**
 * Writing files into an output directory (`export --out DIR`) without ever following a symbolic link in it: a link
 * placed there (by a checkout, or anyone who can write the folder) must not turn an export into an overwrite of a
 * file elsewhere. Each file is written to a new temporary file beside it (created exclusively, so never through a
 * link) and renamed over its name, which replaces a link rather than what it points to; a folder on the way that is
 * a link is refused.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * Makes sure `directory` is a directory, creating it when missing. `shown` is how the person wrote it.
 * Throws {@link UserError} when it is something else (a file, `/dev/null`) or cannot be created.
 */
export async function prepareOutputDirectory(directory: string, shown: string): Promise<void> {
  let info;
  try {
    info = await stat(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(shown, error);
    try {
      await mkdir(directory, { recursive: true });
      return;
    } catch (failure) {
      throw writeError(shown, failure);
    }
  }
  if (!info.isDirectory()) throw new UserError(`--out ${shown} is not a directory; name a directory to write the files into (it is created when missing)`);
}

/**
 * Writes `content` to `name` (a relative path with `/` separators) below `directory`, replacing what is there.
 * Throws {@link UserError} when a folder on the way is a link or not a folder, or the file cannot be written.
 */
export async function writeInto(directory: string, name: string, content: string, shown: string): Promise<void> {
  const parts = name.split('/');
  let folder = directory;
  for (let i = 0; i < parts.length - 1; i++) {
    folder = join(folder, parts[i]!);
    await ensureRealFolder(folder, join(shown, ...parts.slice(0, i + 1)));
  }
  const target = join(folder, parts.at(-1)!);
  const temporary = join(folder, `.${parts.at(-1)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw writeError(join(shown, name), error);
  }
}

/** Creates `folder` when missing; refuses a link or a file in its place. */
async function ensureRealFolder(folder: string, shown: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const info = await lstat(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw writeError(shown, error);
    });
    if (info?.isSymbolicLink()) {
      throw new UserError(`${shown} is a symbolic link; roster never writes through links in the output directory. Remove it, or choose another directory`);
    }
    if (info?.isDirectory()) return;
    if (info) throw new UserError(`${shown} is not a directory; remove it, or choose another output directory`);
    try {
      await mkdir(folder);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(shown, error);
    }
  }
}

function writeError(shown: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : code === 'EISDIR'
              ? 'a directory is in the way'
              : ((error as Error).message ?? String(error));
  return new UserError(`cannot write ${shown}: ${why}${code ? ` (${code})` : ''}`, { cause: error });
}
