/**
 * Phase timings for benchmarks: with ROSTER_TIMINGS=1 a command ends by writing one line to stderr,
 * `ROSTER_TIMINGS {"load":812,"read":301,…,"queries":9}` (milliseconds, and database round trips).
 */
import type { CliIo } from './io.ts';

export interface Timings {
  /** Runs `work`, adding its duration to `phase`. */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Counts one database round trip. */
  query(): void;
  /** Writes the line, when enabled. */
  report(): void;
}

export function createTimings(io: CliIo): Timings {
  const enabled = io.env.ROSTER_TIMINGS === '1';
  const phases: Record<string, number> = {};
  let queries = 0;
  return {
    async phase(name, work) {
      if (!enabled) return work();
      const start = performance.now();
      try {
        return await work();
      } finally {
        phases[name] = Math.round((phases[name] ?? 0) + performance.now() - start);
      }
    },
    query() {
      queries++;
    },
    report() {
      if (enabled) io.stderr.write(`ROSTER_TIMINGS ${JSON.stringify({ ...phases, queries })}\n`);
    },
  };
}
