/**
 * Reading many files at once: the fast path runs on every core, the main thread taking its share while worker
 * threads take theirs. Small configurations stay on the main thread, where starting a worker would cost more.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fastParseMany, NOT_FAST } from './fast-yaml.ts';

/** Below this many characters in all, one thread is faster. */
const PARALLEL_THRESHOLD = 2_000_000;

/** The fast-path value of each text, or {@link NOT_FAST}, in order. */
export async function fastParseAll(texts: readonly string[]): Promise<unknown[]> {
  const total = texts.reduce((sum, t) => sum + t.length, 0);
  const threads = Math.min(availableParallelism(), texts.length);
  if (threads < 2 || total < PARALLEL_THRESHOLD) return fastParseMany(texts);

  // Deal files into balanced shares by size; share 0 is the main thread's.
  const shares: number[][] = Array.from({ length: threads }, () => []);
  const sizes = new Array<number>(threads).fill(0);
  [...texts.keys()].sort((a, b) => texts[b]!.length - texts[a]!.length).forEach((i) => {
    const lightest = sizes.indexOf(Math.min(...sizes));
    shares[lightest]!.push(i);
    sizes[lightest]! += texts[i]!.length;
  });
  const results = new Array<unknown>(texts.length);
  const workers = shares.slice(1).map((share) => runWorker(share.map((i) => texts[i]!)).then((values) => share.forEach((i, k) => (results[i] = values[k] ?? NOT_FAST))));
  const own = fastParseMany(shares[0]!.map((i) => texts[i]!));
  shares[0]!.forEach((i, k) => (results[i] = own[k]));
  try {
    await Promise.all(workers);
  } catch {
    // A worker that cannot start (restricted environment): do its share here.
    const missing = [...texts.keys()].filter((i) => results[i] === undefined);
    fastParseMany(missing.map((i) => texts[i]!)).forEach((value, k) => (results[missing[k]!] = value));
  }
  return results;
}

function runWorker(texts: string[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const worker = startWorker();
    worker.once('message', (values: unknown[]) => {
      resolve(values);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.postMessage(texts);
  });
}

/** From the sources, the worker runs its TypeScript through tsx; from the start-up bundle, its own chunk. */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./parse-worker.js', import.meta.url));
  const bootstrap = `const { workerData } = require('node:worker_threads');
    import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });`;
  return new Worker(bootstrap, {
    eval: true,
    workerData: { tsx: import.meta.resolve('tsx/esm/api'), entry: new URL('./parse-worker.ts', import.meta.url).href },
  });
}
