/** The CLI's window on the world, passed in so tests can run commands in-process with captured output. */
import { createInterface } from 'node:readline';
import type { Progress } from './progress.ts';
import type { Timings } from './timings.ts';

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Phase timings (ROSTER_TIMINGS=1), set by the entry point. */
  readonly timings?: Timings;
  /** The status line on a terminal, set by the entry point. */
  readonly progress?: Progress;
}

/** Runs `work` as a phase: shown on a terminal's status line, and timed when timings are on. */
export async function phase<T>(io: CliIo, name: string, work: () => Promise<T>): Promise<T> {
  io.progress?.start(name);
  try {
    return await (io.timings ? io.timings.phase(name, work) : work());
  } finally {
    io.progress?.clear();
  }
}

/** The real process's streams, environment and directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Asks `question` on stderr and reads one line from stdin; resolves to the trimmed answer ('' at end of input). */
export async function ask(io: CliIo, question: string): Promise<string> {
  io.stderr.write(question);
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}
