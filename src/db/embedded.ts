/**
 * The embedded PostgreSQL used when no database is named: PGlite (PostgreSQL compiled to WebAssembly, shipped
 * inside its npm package, so nothing is downloaded or installed and it runs as root or any user), kept under
 * `./.roster/`, served on a loopback port for the lifetime of one roster process.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseError } from '../errors.ts';
import { acquireEmbeddedLock, type HolderInfo } from './embedded-lock.ts';

export interface EmbeddedServer {
  /** A connection string for the running server. */
  readonly url: string;
  /** The data directory. */
  readonly directory: string;
  /** Stops the server and releases the data directory. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The directory holding `.roster/`. */
  readonly root: string;
  /** What holds the database, for the message another process shows (`roster apply`, `roster db serve`). */
  readonly purpose?: string;
  /** Runs a named step (shown on a terminal's status line): `embedded-create` or `embedded-start`. */
  readonly step?: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  /** The loopback port to serve on (default: any free one). */
  readonly port?: number;
}

/**
 * Starts the embedded database under `<root>/.roster/`. One process uses it at a time, held by an operating-system
 * lock that ends with the process (see embedded-lock.ts): a second one fails with a message naming the holder.
 * Throws {@link DatabaseError} when the directory is in use or the database cannot start, in one sentence.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const home = join(options.root, '.roster');
  const directory = join(home, 'pgdata');
  const step = options.step ?? ((_name, work) => work());
  try {
    await mkdir(home, { recursive: true });
  } catch (error) {
    throw new DatabaseError(`cannot create ${home} for the embedded database: ${fileProblem(error)}`, { cause: error });
  }
  const holder: HolderInfo = { pid: process.pid, purpose: options.purpose ?? 'roster', since: new Date().toISOString() };
  const lock = await acquireEmbeddedLock(home, holder);
  // The pid file of older versions means nothing now; it only misleads a reader.
  await rm(join(home, 'embedded.lock'), { force: true }).catch(() => undefined);
  const existed = existsSync(directory);
  try {
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-socket'),
    ]);
    const db = await step(existed ? 'embedded-start' : 'embedded-create', () => PGlite.create(directory));
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 1 });
    try {
      await server.start();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    lock.describe({ url });
    return {
      url,
      directory,
      async stop() {
        try {
          await server.stop();
          await db.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    // A data directory this run began to create is incomplete: remove it, so the next run starts afresh.
    if (!existed) await rm(directory, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
    throw new DatabaseError(`cannot start the embedded database in ${directory}: ${fileProblem(error)}`, { cause: error });
  }
}

/** PGlite's file system errors: Emscripten's errno numbers, for the codes worth a sentence. */
const EMSCRIPTEN_ERRNO: Readonly<Record<number, string>> = { 2: 'EACCES', 19: 'EDQUOT', 51: 'ENOSPC', 63: 'EPERM', 69: 'EROFS' };

/**
 * What went wrong with a file, in words. PGlite's file system errors carry an errno code but no message (the old
 * "cannot start …: undefined").
 */
function fileProblem(error: unknown): string {
  const { name, errno, message } = (error ?? {}) as { name?: unknown; errno?: unknown; message?: unknown };
  let { code } = (error ?? {}) as { code?: unknown };
  if (code === undefined && name === 'ErrnoError' && typeof errno === 'number') code = EMSCRIPTEN_ERRNO[errno] ?? `errno ${errno}`;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full (ENOSPC); free some space, or set DATABASE_URL to use another database.';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code}); run roster where you can write .roster/, or set DATABASE_URL to use another database.`;
    case 'EROFS':
      return 'the file system is read-only (EROFS); run roster where .roster/ can be written, or set DATABASE_URL to use another database.';
  }
  const text = typeof message === 'string' && message.trim() !== '' ? message.trim() : typeof code === 'string' ? code : String(error);
  return `${text.replace(/\.$/, '')}. Set DATABASE_URL to use another database.`;
}
