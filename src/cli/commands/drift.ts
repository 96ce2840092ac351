/**
 * `roster drift [PATH...] [--format text|json|markdown] [--write [--accept-privileged] [--only KEY,…]]`: what changed
 * outside the configuration, access gained outside it first.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { readLastApply, readOrganization } from '../../db/read-state.ts';
import { acceptDrift } from '../../drift/accept.ts';
import { detectDrift } from '../../drift/detect.ts';
import { driftItemKey, selectDriftToAccept, type DriftSelection } from '../../drift/select.ts';
import type { DriftReport } from '../../drift/types.ts';
import { ConfigError, UserError } from '../../errors.ts';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../../render/drift.ts';
import { escapeLines, escapeText } from '../../render/escape.ts';
import { chooseStyle } from '../../render/style.ts';
import { appendStepSummary } from '../github.ts';
import { phase, type CliIo } from '../io.ts';
import { inSnapshot, loadConfiguration, usingDatabase } from '../session.ts';

export type DriftFormat = 'text' | 'json' | 'markdown';

export interface DriftCommandOptions {
  readonly paths: readonly string[];
  readonly databaseUrl: string | undefined;
  readonly format: DriftFormat;
  /** Accept the drift into the files and print the change as a unified diff. */
  readonly write: boolean;
  /** With `write`: write privilege gains too (they are left out otherwise). */
  readonly acceptPrivileged: boolean;
  /** With `write`: accept only these items (emails, role:KEY, company:KEY, organization:KEY); null for all. */
  readonly only: readonly string[] | null;
  readonly io: CliIo;
}

/** Drift found, none of it sensitive. */
export const EXIT_DRIFT = 2;
/** Sensitive drift found (access gained outside the files), or privilege gains left out by `--write`. */
export const EXIT_SENSITIVE_DRIFT = 3;

/**
 * Exit 0 without drift (or after accepting all that was chosen), 2 with drift, 3 with sensitive drift (or when
 * `--write` left privilege gains out), 1 on error.
 */
export async function driftCommand(options: DriftCommandOptions): Promise<number> {
  const { io } = options;
  if (!options.write && (options.acceptPrivileged || options.only !== null)) {
    throw new UserError(`${options.only !== null ? '--only' : '--accept-privileged'} chooses what --write accepts into the files; add --write, or leave it out to see the drift`);
  }
  // Accepting drift edits the files, so it needs them, not the cache.
  const { config } = await loadConfiguration(options.paths, io, { cache: !options.write });
  const key = config.state.organization.key;
  const snapshot = await usingDatabase({ databaseUrl: options.databaseUrl, io, writes: false }, (database) =>
    phase(io, 'read', () => inSnapshot(database, async (tx) => ({ stored: await readOrganization(tx, key), lastApply: await readLastApply(tx, key) }))),
  );
  const report = detectDrift({
    desired: config.state,
    actual: snapshot.stored?.state ?? null,
    unmanagedUsers: config.unmanagedUsers,
    changedAt: snapshot.stored?.changedAt ?? new Map(),
    lastApply: snapshot.lastApply,
  });
  await appendStepSummary(io, renderDriftMarkdown(report));

  if (!options.write) {
    const style = chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env });
    io.stdout.write(
      options.format === 'json' ? renderDriftJson(report) : options.format === 'markdown' ? renderDriftMarkdown(report) : renderDriftText(report, style),
    );
    return report.sensitive.length > 0 ? EXIT_SENSITIVE_DRIFT : report.items.length > 0 ? EXIT_DRIFT : 0;
  }

  if (report.items.length === 0) {
    io.stderr.write('No drift: the files already describe the database.\n');
    return 0;
  }
  const selection = selectDriftToAccept(report, { only: options.only, acceptPrivileged: options.acceptPrivileged });
  // Rows the database holds in a form roster will not act on are fixed in the database, never copied into files.
  const invalid = [...selection.accepted, ...selection.heldBack.map((held) => held.item)].filter((item) => item.kind === 'invalid');
  if (invalid.length > 0) {
    throw new UserError(
      `${invalid.length} drift item${invalid.length === 1 ? '' : 's'} cannot be accepted into the files, because the database holds ` +
        `${invalid.length === 1 ? 'it' : 'them'} in a form roster will not act on; nothing was written. Fix ${invalid.length === 1 ? 'it' : 'them'} in the database first:\n` +
        invalid.map((item) => `  ${escapeText(item.message ?? `${item.type} ${item.key}`)}`).join('\n'),
    );
  }
  if (selection.accepted.length === 0) {
    io.stderr.write(`${heldBackMessage(selection)}Nothing was written.\n`);
    return EXIT_SENSITIVE_DRIFT;
  }
  const accepted: DriftReport = { ...report, items: selection.accepted };
  const rewrites = acceptDrift(config, accepted, snapshot.stored?.state ?? null);
  const write = (text: string, bom: boolean) => (bom ? `\uFEFF${text}` : text);
  for (const r of rewrites) await writeFile(resolve(io.cwd, r.file.path), write(r.after, r.file.bom));
  try {
    // Read back as apply would: the files themselves, never the cache.
    await loadConfiguration(options.paths, io, { cache: false });
  } catch (error) {
    for (const r of rewrites) await writeFile(resolve(io.cwd, r.file.path), write(r.before, r.file.bom));
    const detail = error instanceof ConfigError ? error.diagnostics.map((d) => d.message).join('; ') : (error as Error).message;
    throw new UserError(`accepting the drift would make the configuration invalid (${detail}); the files were left as they were`, { cause: error });
  }
  // The files now hold values from the database: shown under the one escaping rule, like every other output.
  for (const r of rewrites) io.stdout.write(escapeLines(createTwoFilesPatch(`a/${r.file.path}`, `b/${r.file.path}`, r.before, r.after, undefined, undefined, { context: 3 })));
  const count = accepted.items.length;
  io.stderr.write(`${heldBackMessage(selection)}Accepted ${count} drift item${count === 1 ? '' : 's'} into ${rewrites.length} file${rewrites.length === 1 ? '' : 's'}.\n`);
  return selection.heldBack.length > 0 ? EXIT_SENSITIVE_DRIFT : 0;
}

/** The privilege gains `--write` left out, what each gains, and how to accept them after review; '' when none. */
function heldBackMessage(selection: DriftSelection): string {
  const held = selection.heldBack;
  if (held.length === 0) return '';
  const lines = held.flatMap(({ item, gains }) => [
    `  ${escapeText(driftItemKey(item))} (${item.kind})${item.database ? `: role ${escapeText(item.database.role)}, company ${escapeText(item.database.company)}, ${item.database.active ? 'active' : 'inactive'}` : ''}`,
    ...gains.map((gain) => `      ${escapeText(gain.message)}`),
  ]);
  const keys = held.map(({ item }) => escapeText(driftItemKey(item))).join(',');
  return (
    `Left out ${held.length} privilege gain${held.length === 1 ? '' : 's'}: --write never writes a manage_* permission the files do not give ` +
    `without --accept-privileged.\n${lines.join('\n')}\n` +
    `After review, accept ${held.length === 1 ? 'it' : 'them'} with --write --accept-privileged --only ${keys}; ` +
    `or undo ${held.length === 1 ? 'it' : 'them'} in the database with roster apply.\n`
  );
}
