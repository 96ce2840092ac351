/**
 * The plan for people: sensitive changes first, then changes grouped by kind, `+` create, `~` update,
 * `-` deactivate or delete, `^` reactivate, every changed field as `before → after`, passwords only as
 * `(sensitive)`, what blocks the plan, and a summary line last.
 */
import { describeMaxDeactivations, describeMaxReassignments } from '../plan/guards.ts';
import type { Change, FieldChange, PasswordSource, Plan, PlanSummary } from '../plan/types.ts';
import { escapeStrings } from './escape.ts';
import { PLAIN, type Style } from './style.ts';
import { formatValue } from './value.ts';

const SECTIONS: readonly { type: Change['type']; title: string }[] = [
  { type: 'organization', title: 'Organization' },
  { type: 'company', title: 'Companies' },
  { type: 'role', title: 'Roles' },
  { type: 'user', title: 'Users' },
];

/** How many ignored users are listed by name. */
const IGNORED_SHOWN = 20;

/** Renders `plan` as text. Pure: the same plan and style always give the same string. */
export function renderPlanText(input: Plan, style: Style = PLAIN): string {
  // Keys and values from files and from the database alike, escaped by the one rule of every output format.
  const plan = escapeStrings(input);
  const lines: string[] = [];
  const limits = plan.guards.limits;
  lines.push(style.bold(`roster plan for organization ${plan.organization}`));
  if (plan.databaseTarget !== undefined) lines.push(style.dim(`Database: ${plan.databaseTarget}.`));
  lines.push(
    style.dim(`Users in the database but in no file are ${plan.unmanagedUsers === 'deactivate' ? 'deactivated' : 'ignored (unmanagedUsers: ignore)'}.`),
    style.dim(
      `Guard rails: max deactivations ${describeMaxDeactivations(limits.maxDeactivations)}, ` +
        `max reassignments ${describeMaxReassignments(limits.maxReassignments)}, min admins who can log in ${limits.minAdmins}.`,
    ),
    '',
  );
  if (plan.sensitive.length > 0) {
    lines.push(style.yellow(style.bold(`Sensitive changes (${plan.sensitive.length}): review these`)));
    for (const item of plan.sensitive) lines.push(`  ${style.yellow('!')} ${item.message}`);
    lines.push('');
  }
  if (plan.changes.length === 0 && plan.problems.length === 0 && plan.guards.violations.length === 0) {
    lines.push('No changes. The database matches the configuration.', '');
  }
  for (const section of SECTIONS) {
    const changes = plan.changes.filter((c) => c.type === section.type);
    if (changes.length === 0) continue;
    lines.push(style.bold(section.title));
    for (const change of changes) lines.push(...renderChange(change, style));
    lines.push('');
  }
  if (plan.ignoredUsers.length > 0) {
    const shown = plan.ignoredUsers.slice(0, IGNORED_SHOWN);
    const more = plan.ignoredUsers.length - shown.length;
    lines.push(style.bold(`Not in the configuration, left as they are (${plan.ignoredUsers.length})`));
    lines.push(`  ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`, '');
  }
  const hints = plan.hints ?? [];
  if (hints.length > 0) {
    lines.push(style.cyan(style.bold(`Looks like a rename (${hints.length})`)));
    for (const hint of hints) lines.push(`  ${style.cyan('?')} ${hint.message}`);
    lines.push('');
  }
  const blockers = [...plan.problems.map((p) => p.message), ...plan.guards.violations.map((v) => v.message)];
  if (blockers.length > 0) {
    lines.push(style.red(style.bold(`Problems (${blockers.length}): this plan cannot be applied`)));
    for (const message of blockers) lines.push(`  ${style.red('!')} ${message}`);
    lines.push('');
  }
  if (plan.changes.length > 0 || blockers.length > 0) lines.push(summaryLine(plan.summary));
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}

/** `Plan: 1 to create, 2 to update, 0 to deactivate, 0 to reactivate, 0 to delete.` */
export function summaryLine(summary: PlanSummary): string {
  return (
    `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.deactivate} to deactivate, ` +
    `${summary.reactivate} to reactivate, ${summary.delete} to delete.`
  );
}

function renderChange(change: Change, style: Style): string[] {
  const marker = {
    create: style.green('+'),
    update: style.yellow('~'),
    deactivate: style.red('-'),
    delete: style.red('-'),
    reactivate: style.green('^'),
  }[change.action];
  const notes: string[] = [];
  if (change.action !== 'create' && change.action !== 'update') notes.push(change.action);
  if ('reason' in change && change.reason) notes.push(change.reason);
  const head = `  ${marker} ${change.key}${notes.length > 0 ? style.dim(` (${notes.join(': ')})`) : ''}`;
  const lines = [head];
  for (const [name, value] of Object.entries(change.fields) as [string, FieldChange<unknown>][]) {
    // A new user's email is already the heading.
    if (change.type === 'user' && change.action === 'create' && name === 'email') continue;
    if (name === 'resetPassword') {
      const source = change.type === 'user' && change.action !== 'create' && change.newPassword ? change.newPassword : null;
      lines.push(`      password: (sensitive, reset${source ? ` ${describeSource(source)}` : ''}; rotation ${formatValue(value.before)} → ${formatValue(value.after)})`);
      continue;
    }
    lines.push(`      ${name}: ${renderField(change, value)}`);
  }
  if (change.type === 'user' && change.action === 'create') {
    if (!change.active) lines.push(`      active: false`);
    if (change.initialPassword !== null) lines.push(`      initialPassword: (sensitive, ${describeSource(change.initialPassword)})`);
  }
  return lines;
}

function describeSource(source: PasswordSource): string {
  switch (source.source) {
    case 'env':
      return `from $${source.name}`;
    case 'file':
      return `from file ${source.path}`;
    case 'hash':
      return `from a hash in ${source.file}`;
  }
}

function renderField(change: Change, field: FieldChange<unknown>): string {
  if (change.action === 'create') return formatValue(field.after);
  if (change.action === 'delete') return `${formatValue(field.before)} → (deleted)`;
  return `${formatValue(field.before)} → ${formatValue(field.after)}${listDelta(field)}`;
}

/** For lists, what was added and removed: ` (+a, -b)`. */
function listDelta(field: FieldChange<unknown>): string {
  if (!Array.isArray(field.before) || !Array.isArray(field.after)) return '';
  const before = new Set<unknown>(field.before);
  const after = new Set<unknown>(field.after);
  const parts = [...[...after].filter((x) => !before.has(x)).map((x) => `+${String(x)}`), ...[...before].filter((x) => !after.has(x)).map((x) => `-${String(x)}`)];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
