/**
 * Progress for long operations, on a terminal only: one status line on stderr naming the step that runs, rewritten
 * in place and cleared at the end. Never in pipes or CI logs (not a terminal, or CI set), where it would only be
 * noise. Any other output (a message on stderr, the plan on stdout) first clears the line, so text never runs into
 * it; steps nest, and when an inner one ends the outer one's label shows again.
 */
import type { CliIo, OutputStream } from './io.ts';

const LABELS: Readonly<Record<string, string>> = {
  load: 'Reading the configuration',
  connect: 'Connecting to the database',
  'embedded-create': 'Creating the embedded PostgreSQL (first run only; this takes a few seconds)',
  'embedded-start': 'Starting the embedded PostgreSQL',
  migrate: 'Creating the roster schema',
  fingerprint: 'Checking the database for changes',
  read: 'Reading the organization from the database',
  plan: 'Planning',
  passwords: 'Hashing passwords',
  lock: 'Waiting for the organization lock',
  execute: 'Applying changes',
  audit: 'Writing the audit trail',
};

export interface Progress {
  /** Shows that `phase` has started (steps without a label hide the line while they run). */
  start(phase: string): void;
  /** Ends the innermost step: shows the enclosing step's label again, or removes the line. */
  clear(): void;
  /** `stream`, clearing the status line before anything is written to it. */
  wrap(stream: OutputStream): OutputStream;
}

export function createProgress(io: CliIo): Progress {
  const enabled = io.stderr.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb';
  const steps: (string | null)[] = [];
  let shown = false;
  const erase = () => {
    if (shown) io.stderr.write('\r\u001b[2K');
    shown = false;
  };
  const show = () => {
    const label = steps.at(-1) ?? null;
    if (!enabled) return;
    if (label === null) return erase();
    io.stderr.write(`\r\u001b[2K${label}…`);
    shown = true;
  };
  return {
    start(phase) {
      steps.push(LABELS[phase] ?? null);
      show();
    },
    clear() {
      steps.pop();
      show();
    },
    wrap(stream) {
      if (!enabled) return stream;
      return {
        get isTTY() {
          return stream.isTTY;
        },
        write(text: string) {
          erase();
          return stream.write(text);
        },
      };
    },
  };
}
