/**
 * Progress for long operations, on a terminal only: one status line on stderr, rewritten in place and cleared at
 * the end. Never in pipes or CI logs (not a terminal, or CI set), where it would only be noise.
 */
import type { CliIo } from './io.ts';

const LABELS: Readonly<Record<string, string>> = {
  load: 'Reading the configuration',
  connect: 'Connecting to the database',
  fingerprint: 'Checking the database for changes',
  read: 'Reading the organization from the database',
  plan: 'Planning',
  passwords: 'Hashing passwords',
  lock: 'Waiting for the organization lock',
  execute: 'Applying changes',
  audit: 'Writing the audit trail',
};

export interface Progress {
  /** Shows that `phase` has started. */
  start(phase: string): void;
  /** Removes the status line. */
  clear(): void;
}

export function createProgress(io: CliIo): Progress {
  const enabled = io.stderr.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb';
  let shown = false;
  return {
    start(phase) {
      const label = LABELS[phase];
      if (!enabled || !label) return;
      io.stderr.write(`\r\u001b[2K${label}…`);
      shown = true;
    },
    clear() {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}
