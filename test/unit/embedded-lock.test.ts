/**
 * The embedded database's lock, both kinds (an abstract socket on Linux, a socket file elsewhere): a live holder
 * refuses others and says who it is; released, or its process killed with SIGKILL, the lock is free; a socket file
 * left behind by a dead holder is replaced; no process id is ever trusted.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireEmbeddedLock, type HolderInfo } from '../../src/db/embedded-lock.ts';
import { tempDir } from '../support/cli.ts';

const KINDS = process.platform === 'linux' ? (['abstract', 'file'] as const) : (['file'] as const);
const me: HolderInfo = { pid: process.pid, purpose: 'roster apply', since: '2026-11-28T12:00:00.000Z' };

async function home(): Promise<string> {
  const dir = join(await tempDir('roster-lock-'), '.roster');
  await mkdir(dir);
  return dir;
}

/** A separate process holding the lock of `dir` until killed; resolves once it holds it. */
async function holderProcess(dir: string, kind: string) {
  const script = `
    import { acquireEmbeddedLock } from ${JSON.stringify(new URL('../../src/db/embedded-lock.ts', import.meta.url).href)};
    await acquireEmbeddedLock(${JSON.stringify(dir)}, { pid: process.pid, purpose: 'roster db serve', since: 'then' }, ${JSON.stringify(kind)});
    console.log('held');
    setInterval(() => {}, 1000);`;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('held') && resolve());
    child.on('close', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

describe.each(KINDS)('the embedded database lock (%s socket)', (kind) => {
  it('refuses a second holder, naming the first, until it is released', async () => {
    const dir = await home();
    const lock = await acquireEmbeddedLock(dir, me, kind);
    lock.describe({ url: 'postgres://postgres@127.0.0.1:5555/postgres' });
    await expect(acquireEmbeddedLock(dir, { ...me, pid: 2 }, kind)).rejects.toThrow(
      `the embedded database in ${dir} is in use by roster apply (process ${process.pid}, since 2026-11-28T12:00:00.000Z); wait for it to finish or stop it, or meanwhile pass --database-url postgres://postgres@127.0.0.1:5555/postgres to use the database it serves`,
    );
    await lock.release();
    await lock.release();
    const again = await acquireEmbeddedLock(dir, me, kind);
    await again.release();
  });

  it('is freed when its holder is killed with SIGKILL', async () => {
    const dir = await home();
    const child = await holderProcess(dir, kind);
    await expect(acquireEmbeddedLock(dir, me, kind)).rejects.toThrow(`in use by roster db serve (process ${child.pid}, since then)`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    if (kind === 'file') expect((await stat(join(dir, 'embedded.sock'))).isSocket()).toBe(true);
    const lock = await acquireEmbeddedLock(dir, me, kind);
    await lock.release();
  }, 120_000);
});
