/** The configuration-only review for people: what a pull request changes, judged on the files alone. */
import type { ConfigDiff } from '../diff/config-diff.ts';
import type { Change } from '../plan/types.ts';
import { escapeStrings } from './escape.ts';
import { PLAIN, type Style } from './style.ts';

export const DIFF_LABEL = 'configuration-only review (no database)';

/** The groups of a diff, in the order reviews show them. */
export const DIFF_GROUPS = [
  ['creates', 'Created'],
  ['edits', 'Edited'],
  ['renames', 'Renamed (formerEmails)'],
  ['removals', 'Removed (users deactivated, companies and roles deleted)'],
  ['reactivations', 'Reactivated'],
] as const;

/** A field value as reviews show it. */
export function showField(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
}

/** `user bob@example.com`, and each changed field as `field: before → after` (a created row's values only). */
export function changeLines(change: Change): { head: string; fields: string[] } {
  const fields = Object.entries(change.fields as Record<string, { before: unknown; after: unknown } | undefined>)
    .filter((entry): entry is [string, { before: unknown; after: unknown }] => entry[1] !== undefined)
    .map(([field, value]) =>
      change.action === 'create' ? `${field}: ${showField(value.after)}` : field === 'resetPassword' ? 'password: reset (rotation changes)' : `${field}: ${showField(value.before)} → ${showField(value.after)}`,
    );
  if (change.type === 'user' && change.action === 'create') {
    if (!change.active) fields.push('active: false');
    if (change.initialPassword) fields.push('initial password: set (sensitive)');
  }
  const reason = change.type === 'user' && change.action !== 'create' && change.reason ? ` (${change.reason})` : '';
  return { head: `${change.type} ${change.key}${reason}`, fields };
}

/** Renders the review as text. Pure; every value from the files is escaped. */
export function renderDiffText(input: ConfigDiff, style: Style = PLAIN): string {
  const diff = escapeStrings(input);
  const lines = [
    style.bold(`roster diff for organization ${diff.organization}: ${DIFF_LABEL}`),
    style.dim(`${diff.base} → ${diff.head}. The base files stand for the stored state; what the database really holds is not known here.`),
    '',
  ];
  if (diff.sensitive.length > 0) {
    lines.push(style.yellow(style.bold(`Sensitive changes (${diff.sensitive.length}): review these`)));
    for (const s of diff.sensitive) lines.push(`  ${style.yellow('!')} ${s.message}`);
    lines.push('');
  }
  if (diff.guardViolations.length > 0) {
    lines.push(style.red(style.bold(`Guard rails broken (${diff.guardViolations.length}): apply would refuse`)));
    for (const v of diff.guardViolations) lines.push(`  ${style.red('✗')} ${v.message} (override: ${v.override})`);
    lines.push('');
  }
  const total = DIFF_GROUPS.reduce((n, [group]) => n + diff[group].length, 0);
  if (total === 0) lines.push('No changes: the two configurations mean the same thing.', '');
  for (const [group, title] of DIFF_GROUPS) {
    if (diff[group].length === 0) continue;
    lines.push(style.bold(`${title} (${diff[group].length})`));
    for (const change of diff[group]) {
      const { head, fields } = changeLines(change);
      lines.push(`  ${head}`, ...fields.map((f) => `      ${f}`));
    }
    lines.push('');
  }
  const s = diff.summary;
  lines.push(`Summary: ${s.create} to create, ${s.update} to update, ${s.deactivate} to deactivate, ${s.reactivate} to reactivate, ${s.delete} to delete (${DIFF_LABEL}).`);
  return `${lines.join('\n')}\n`;
}
