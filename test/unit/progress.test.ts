/**
 * The status line on a terminal: each step is named, any other output clears it first (so text never runs into a
 * label), an inner step's end shows the outer label again, and nothing at all is drawn in pipes or CI.
 */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.ts';
import { createProgress } from '../../src/cli/progress.ts';

const ERASE = '\r\u001b[2K';

function terminal(options: { isTTY?: boolean; env?: Record<string, string> } = {}) {
  let written = '';
  const stderr = { write: (text: string) => (written += text), isTTY: options.isTTY ?? true };
  const io: CliIo = { stdout: stderr, stderr, stdin: new PassThrough(), env: options.env ?? {}, cwd: '/' };
  return { io, progress: createProgress(io), written: () => written };
}

describe('the status line', () => {
  it('names the embedded database steps and clears itself before a message, which never runs into a label', () => {
    const { io, progress, written } = terminal();
    const stderr = progress.wrap(io.stderr);
    progress.start('connect');
    stderr.write('Using the embedded PostgreSQL in /x/.roster (…).\n');
    progress.start('embedded-create');
    progress.clear();
    progress.start('migrate');
    progress.clear();
    progress.clear();
    expect(written()).toBe(
      `${ERASE}Connecting to the database…${ERASE}Using the embedded PostgreSQL in /x/.roster (…).\n` +
        `${ERASE}Creating the embedded PostgreSQL (first run only; this takes a few seconds)…` +
        `${ERASE}Connecting to the database…${ERASE}Creating the roster schema…${ERASE}Connecting to the database…${ERASE}`,
    );
  });

  it('hides the line while a step without a label writes output', () => {
    const { io, progress, written } = terminal();
    const stdout = progress.wrap(io.stdout);
    progress.start('plan');
    progress.clear();
    progress.start('render');
    stdout.write('Plan: 1 to create.\n');
    progress.clear();
    expect(written()).toBe(`${ERASE}Planning…${ERASE}Plan: 1 to create.\n`);
  });

  it.each([
    ['not a terminal', { isTTY: false }],
    ['in CI', { env: { CI: 'true' } }],
    ['on a dumb terminal', { env: { TERM: 'dumb' } }],
  ])('draws nothing %s', (_name, options) => {
    const { io, progress, written } = terminal(options);
    const stderr = progress.wrap(io.stderr);
    expect(stderr).toBe(io.stderr);
    progress.start('connect');
    stderr.write('message\n');
    progress.clear();
    expect(written()).toBe('message\n');
  });
});
