/** `roster drift [PATH...] [--format text|json|markdown] [--write]`: what changed outside the configuration. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { loadConfig } from '../../config/load.ts';
import { readLastApply, readOrganization } from '../../db/read-state.ts';
import { acceptDrift } from '../../drift/accept.ts';
import { detectDrift } from '../../drift/detect.ts';
import { ConfigError, UserError } from '../../errors.ts';
import { escapeText } from '../../render/escape.ts';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../../render/drift.ts';
import { escapeLines } from '../../render/escape.ts';
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
  readonly io: CliIo;
}

/** Exit 0 without drift (or after accepting it), 2 with drift, 1 on error. */
export async function driftCommand(options: DriftCommandOptions): Promise<number> {
  const { io } = options;
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
    return report.items.length > 0 ? 2 : 0;
  }

  if (report.items.length === 0) {
    io.stderr.write('No drift: the files already describe the database.\n');
    return 0;
  }
  // Rows the database holds in a form roster will not act on are fixed in the database, never copied into files.
  const invalid = report.items.filter((item) => item.kind === 'invalid');
  if (invalid.length > 0) {
    throw new UserError(
      `${invalid.length} drift item${invalid.length === 1 ? '' : 's'} cannot be accepted into the files, because the database holds ` +
        `${invalid.length === 1 ? 'it' : 'them'} in a form roster will not act on; nothing was written. Fix ${invalid.length === 1 ? 'it' : 'them'} in the database first:\n` +
        invalid.map((item) => `  ${escapeText(item.message ?? `${item.type} ${item.key}`)}`).join('\n'),
    );
  }
  const rewrites = acceptDrift(config, report, snapshot.stored?.state ?? null);
  const write = (text: string, bom: boolean) => (bom ? `\uFEFF${text}` : text);
  for (const r of rewrites) await writeFile(resolve(io.cwd, r.file.path), write(r.after, r.file.bom));
  try {
    await loadConfig({ paths: options.paths, cwd: io.cwd });
  } catch (error) {
    for (const r of rewrites) await writeFile(resolve(io.cwd, r.file.path), write(r.before, r.file.bom));
    const detail = error instanceof ConfigError ? error.diagnostics.map((d) => d.message).join('; ') : (error as Error).message;
    throw new UserError(`accepting the drift would make the configuration invalid (${detail}); the files were left as they were`, { cause: error });
  }
  // The files now hold values from the database: shown under the one escaping rule, like every other output.
  for (const r of rewrites) io.stdout.write(escapeLines(createTwoFilesPatch(`a/${r.file.path}`, `b/${r.file.path}`, r.before, r.after, undefined, undefined, { context: 3 })));
  io.stderr.write(`Accepted ${report.items.length} drift item${report.items.length === 1 ? '' : 's'} into ${rewrites.length} file${rewrites.length === 1 ? '' : 's'}.\n`);
  return 0;
}
