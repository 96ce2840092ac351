/**
 * `roster db serve` and `roster db shell`: the embedded database opened to other tools. `serve` starts it and prints
 * a connection string until Ctrl-C; `shell` runs psql on it. Either holds the embedded database's lock meanwhile, so
 * a roster command in another terminal says who holds it (and, for `serve`, where to connect instead).
 */
import { spawn } from 'node:child_process';
import { createPool } from 'slonik';
import { startEmbedded, type EmbeddedServer } from '../../db/embedded.ts';
import { explainDatabaseFailure } from '../../db/failures.ts';
import { migrate } from '../../db/migrate.ts';
import { UserError } from '../../errors.ts';
import { phase, type CliIo } from '../io.ts';

export interface DbCommandOptions {
  readonly action: 'serve' | 'shell';
  /** `serve`: the port to listen on (default: any free one). */
  readonly port: number | undefined;
  readonly io: CliIo;
  /** Resolves when the person asks to stop (`serve`); the process's SIGINT and SIGTERM by default. */
  readonly stopped?: Promise<void>;
}

/** Exit 0 when stopped on request (`serve`), psql's exit code (`shell`). Throws DatabaseError, UserError. */
export async function dbCommand(options: DbCommandOptions): Promise<number> {
  const { io } = options;
  const server = await startReady(options);
  try {
    if (options.action === 'serve') {
      io.stderr.write(
        `Serving the embedded PostgreSQL in ${server.directory} until Ctrl-C. Connect with the string below ` +
          '(one connection at a time: the embedded database is a single session), e.g. psql "URL" or roster drift --database-url "URL".\n',
      );
      io.stdout.write(`${server.url}\n`);
      await (options.stopped ?? signalled());
      io.stderr.write('Stopped the embedded PostgreSQL.\n');
      return 0;
    }
    return await runPsql(server.url, io);
  } finally {
    await server.stop();
  }
}

/** Starts the embedded database on `port` and brings its schema up to date. */
async function startReady(options: DbCommandOptions): Promise<EmbeddedServer> {
  const { io } = options;
  const server = await startEmbedded({
    root: io.cwd,
    purpose: `roster db ${options.action}`,
    step: (name, work) => phase(io, name, work),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  try {
    const pool = await createPool(server.url, { maximumPoolSize: 1, captureStackTrace: false });
    try {
      await phase(io, 'migrate', () => migrate(pool));
    } finally {
      await pool.end();
    }
    return server;
  } catch (error) {
    await server.stop();
    throw explainDatabaseFailure(error, { description: server.directory, moment: 'writing' }) ?? error;
  }
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs psql on the terminal against `url`; its exit code. */
function runPsql(url: string, io: CliIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [`${url}?sslmode=disable&application_name=roster-db-shell`], { stdio: 'inherit', env: { ...process.env, ...io.env } });
    // Ctrl-C belongs to psql (it cancels a query); roster waits for psql to end.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    const done = () => process.off('SIGINT', ignore);
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(
        error.code === 'ENOENT'
          ? new UserError('psql is not installed (or not on PATH); run `roster db serve` and connect with any PostgreSQL client instead')
          : error,
      );
    });
    child.on('close', (code) => {
      done();
      resolve(code ?? 1);
    });
  });
}
