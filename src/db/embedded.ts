/**
 * The embedded PostgreSQL used when no database is named: PGlite (PostgreSQL compiled to WebAssembly, shipped
 * inside its npm package, so nothing is downloaded or installed and it runs as root or any user), kept under
 * `./.roster/`, served on a loopback port for the lifetime of one roster process.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseError } from '../errors.ts';

export interface EmbeddedServer {
  /** A connection string for the running server. */
  readonly url: string;
  /** The data directory. */
  readonly directory: string;
  /** Stops the server and releases the data directory. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded database under `<root>/.roster/`. One roster process uses it at a time:
 * a second one fails with a clear message instead of corrupting it.
 * Throws {@link DatabaseError} when the directory is in use or cannot be created.
 */
export async function startEmbedded(options: { root: string }): Promise<EmbeddedServer> {
  const home = join(options.root, '.roster');
  const directory = join(home, 'pgdata');
  const lockPath = join(home, 'embedded.lock');
  try {
    await mkdir(home, { recursive: true });
  } catch (error) {
    throw new DatabaseError(`cannot create ${home} for the embedded database: ${(error as Error).message}`, { cause: error });
  }
  await takeLock(lockPath);
  try {
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-socket'),
    ]);
    const db = await PGlite.create(directory);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    return {
      url: `postgres://postgres@${server.getServerConn()}/postgres`,
      directory,
      async stop() {
        try {
          await server.stop();
          await db.close();
        } finally {
          await rm(lockPath, { force: true });
        }
      },
    };
  } catch (error) {
    await rm(lockPath, { force: true });
    throw new DatabaseError(`cannot start the embedded database in ${directory}: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates the lock file, or takes over one left by a process that no longer runs. */
async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        throw new DatabaseError(
          `the embedded database in ${lockPath.replace(/embedded\.lock$/, '')} is in use by roster process ${pid}; wait for it to finish`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new DatabaseError(`cannot lock the embedded database (${lockPath})`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
