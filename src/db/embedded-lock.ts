/**
 * Who may use the embedded database: one process at a time, by an operating-system lock that lives exactly as long
 * as its holder. The lock is a Unix-domain socket the holder listens on. A live holder accepts connections and
 * answers with who it is; when it ends, however it ends (even SIGKILL), the kernel closes the socket. No process id
 * is trusted, so a stale or reused pid neither blocks nor lets a second process in.
 *
 * On Linux the socket has an abstract name (derived from the `.roster` directory's identity): nothing is written to
 * disk, so there is no stale file, no race to remove one, and a read-only `.roster` does not matter. Elsewhere it is
 * the file `.roster/embedded.sock`; a socket file that refuses connections is left over from a holder that died, and
 * is replaced.
 */
import { createHash } from 'node:crypto';
import { realpath, rm, stat } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { DatabaseError } from '../errors.ts';

/** What the holder says about itself to a process that finds the lock taken. */
export interface HolderInfo {
  readonly pid: number;
  /** The command holding it, e.g. `roster apply`. */
  readonly purpose: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** Where the server listens, once started (shown by `roster db serve`'s holder, so others can connect). */
  readonly url?: string;
}

export interface EmbeddedLock {
  /** Adds to what the holder answers. */
  describe(more: Partial<HolderInfo>): void;
  /** Releases the lock. Safe to call twice. */
  release(): Promise<void>;
}

/** How long to wait for a live holder's answer: it may be busy in a long synchronous step. */
const ANSWER_TIMEOUT_MS = 2000;

/**
 * Takes the lock of the embedded database in `home` (`.roster`). `kind` chooses the socket (default: abstract on
 * Linux, a file elsewhere). Throws {@link DatabaseError} naming the holder.
 */
export async function acquireEmbeddedLock(home: string, holder: HolderInfo, kind: 'abstract' | 'file' = process.platform === 'linux' ? 'abstract' : 'file'): Promise<EmbeddedLock> {
  const address = await lockAddress(home, kind);
  let info: HolderInfo = holder;
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify(info)}\n`);
    });
    // The lock lasts as long as the process; it never keeps the process alive by itself.
    server.unref();
    const listened = await listen(server, address);
    if (listened === null) {
      let released = false;
      return {
        describe(more) {
          info = { ...info, ...more };
        },
        async release() {
          if (released) return;
          released = true;
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
    }
    if (listened.code !== 'EADDRINUSE') throw lockError(home, listened);
    const other = await askHolder(address);
    if (other !== null) throw new DatabaseError(inUseMessage(home, other));
    // Nobody listens: a socket file left by a holder that died (or, on Linux, a holder that just closed).
    if (!address.startsWith('\0')) await rm(address, { force: true });
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
  throw new DatabaseError(`cannot lock the embedded database in ${home}: another roster process keeps taking it; try again`);
}

/** The socket's address: an abstract name, or `.roster/embedded.sock` (relative when that is shorter). */
async function lockAddress(home: string, kind: 'abstract' | 'file'): Promise<string> {
  if (kind === 'abstract') {
    const real = await realpath(home);
    const { dev, ino } = await stat(real);
    const id = createHash('sha256').update(`${real}\0${dev}\0${ino}`).digest('hex').slice(0, 40);
    return `\0roster-embedded-${id}`;
  }
  const path = join(home, 'embedded.sock');
  const shorter = relative(process.cwd(), path);
  // Socket paths are limited to about 100 bytes.
  return shorter.length < path.length ? shorter : path;
}

/** Listens; null on success, else the error. */
function listen(server: Server, address: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const failed = (error: NodeJS.ErrnoException) => resolve(error);
    server.once('error', failed);
    server.listen(address, () => {
      server.off('error', failed);
      resolve(null);
    });
  });
}

/** Connects to the lock: who holds it, or null when nobody listens. A holder too busy to answer is still a holder. */
function askHolder(address: string): Promise<HolderInfo | null> {
  return new Promise((resolve) => {
    const socket = createConnection(address);
    let connected = false;
    let text = '';
    const unknown: HolderInfo = { pid: 0, purpose: 'another roster process', since: '' };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(connected ? unknown : null);
    }, ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (!connected) return resolve(null);
      try {
        resolve(parseHolder(text) ?? unknown);
      } catch {
        resolve(unknown);
      }
    });
  });
}

function parseHolder(text: string): HolderInfo | null {
  const value = JSON.parse(text.trim()) as Partial<HolderInfo>;
  if (typeof value.pid !== 'number' || typeof value.purpose !== 'string' || typeof value.since !== 'string') return null;
  return { pid: value.pid, purpose: value.purpose.slice(0, 100), since: value.since.slice(0, 40), ...(typeof value.url === 'string' ? { url: value.url.slice(0, 200) } : {}) };
}

function inUseMessage(home: string, holder: HolderInfo): string {
  const who = holder.pid > 0 ? `${holder.purpose} (process ${holder.pid}, since ${holder.since})` : holder.purpose;
  const meanwhile = holder.url ? `, or meanwhile pass --database-url ${holder.url} to use the database it serves` : '';
  return visibleText(`the embedded database in ${home} is in use by ${who}; wait for it to finish or stop it${meanwhile}`);
}

/** Strips what a terminal would interpret: the holder's answer is another process's words. */
function visibleText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}

function lockError(home: string, error: NodeJS.ErrnoException): DatabaseError {
  return new DatabaseError(`cannot lock the embedded database in ${home}: ${error.code ?? error.message}; check that .roster/ can be written, or set DATABASE_URL to use another database`, { cause: error });
}
