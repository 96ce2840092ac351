/** `roster history KEY [--organization KEY] [--format text|json|markdown]`: the timeline of one user, role or company. */
import { UserError } from '../../errors.ts';
import { buildHistory, parseSubject } from '../../history/timeline.ts';
import { escapeText } from '../../render/escape.ts';
import { renderHistoryJson } from '../../render/history-json.ts';
import { renderHistoryMarkdown } from '../../render/history-markdown.ts';
import { renderHistoryText } from '../../render/history-text.ts';
import { chooseStyle } from '../../render/style.ts';
import type { CliIo } from '../io.ts';
import { loadConfiguration } from '../session.ts';
import { readStoredWithAudit } from './access.ts';

export interface HistoryCommandOptions {
  /** An email, `user:EMAIL`, `role:KEY` or `company:KEY`. */
  readonly key: string;
  /** Configuration paths, only to find the organization. */
  readonly paths: readonly string[];
  readonly organization: string | undefined;
  readonly format: 'text' | 'json' | 'markdown';
  readonly databaseUrl: string | undefined;
  readonly io: CliIo;
}

/** Prints the timeline. Exit 0. Throws UserError, ConfigError, DatabaseError. */
export async function historyCommand(options: HistoryCommandOptions): Promise<number> {
  const { io } = options;
  const subject = parseSubject(options.key);
  if (subject === null) throw new UserError(`'${escapeText(options.key)}' is neither an email nor role:KEY nor company:KEY (roster history bob@example.com, roster history role:editor)`);
  const fromFiles = options.paths.length > 0 ? (await loadConfiguration(options.paths, io)).config.state.organization.key : null;
  const { stored, audit } = await readStoredWithAudit({ key: options.organization ?? fromFiles, databaseUrl: options.databaseUrl, io, command: 'history KEY' });
  const report = buildHistory({ subject, stored: stored.state, changedAt: stored.changedAt, applies: audit.applies });
  if (report.current === null && report.entries.length === 0) {
    throw new UserError(`organization ${stored.state.organization.key} has no ${subject.type} '${escapeText(subject.key)}' and the audit trail never mentions one`);
  }
  const render = {
    text: () => renderHistoryText(report, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })),
    markdown: () => renderHistoryMarkdown(report),
    json: () => renderHistoryJson(report),
  };
  io.stdout.write(render[options.format]());
  return 0;
}
