/**
 * The plan for pull-request comments and job summaries, ordered by risk: what blocks the plan, sensitive changes,
 * possible renames, deletions, deactivations, reactivations, then creates and updates. Long sections fold in
 * `<details>`. The whole stays strictly below {@link MARKDOWN_LIMIT} characters and bytes; when it must cut, it
 * cuts from the end of that order and says exactly what it left out, per kind.
 */
import { describeMaxDeactivations, describeMaxReassignments } from '../plan/guards.ts';
import type { Change, ChangeAction, Plan } from '../plan/types.ts';
import { cell, code, MARKDOWN_LIMIT, markdownSize } from './markdown.ts';
import { summaryLine } from './text.ts';
import { formatValue } from './value.ts';

/** Sections longer than this fold in `<details>`, their heading and count still in sight. */
const FOLD_OVER = 15;
/** Room kept for the closing lines (what was cut, ignored users), whatever they turn out to say. */
const CLOSING_RESERVE = 1_000;
/** Header values from outside (the database's name) are shortened to this many characters. */
const HEADER_VALUE_MAX = 200;

/** What a row stands for, to say what was cut. */
type RowKind = 'problem' | 'sensitive' | 'hint' | ChangeAction;

const KIND_NAMES: Readonly<Record<RowKind, [string, string]>> = {
  problem: ['problem', 'problems'],
  sensitive: ['sensitive change', 'sensitive changes'],
  hint: ['possible rename', 'possible renames'],
  delete: ['deletion', 'deletions'],
  deactivate: ['deactivation', 'deactivations'],
  reactivate: ['reactivation', 'reactivations'],
  create: ['create', 'creates'],
  update: ['update', 'updates'],
};
const CUT_ORDER: readonly RowKind[] = ['problem', 'sensitive', 'hint', 'delete', 'deactivate', 'reactivate', 'create', 'update'];

interface Section {
  readonly heading: string;
  /** Text between the heading and the rows (a table header), repeated inside the fold. */
  readonly lead: string;
  readonly rows: readonly { readonly text: string; readonly kind: RowKind }[];
  /** Never folded: what blocks the plan must be read. */
  readonly unfoldable?: boolean;
}

/** Renders `plan` as Markdown, strictly below `limit` characters and UTF-8 bytes. Pure. */
export function renderPlanMarkdown(plan: Plan, limit: number = MARKDOWN_LIMIT): string {
  const head = header(plan);
  const closing = ignoredLine(plan);
  const parts: string[] = [head];
  let used = markdownSize(head) + markdownSize(closing);
  const cut = new Map<RowKind, number>();
  let cutting = false;
  const fits = (size: number) => used + size + CLOSING_RESERVE < limit;

  for (const section of sections(plan)) {
    if (section.rows.length === 0) continue;
    const fold = !section.unfoldable && section.rows.length > FOLD_OVER;
    const open = `${section.heading}\n${section.unfoldable ? '' : '\n'}${fold ? `<details><summary>Show the list</summary>\n\n` : ''}${section.lead}`;
    const close = `${fold ? '\n</details>\n' : ''}\n`;
    const openSize = markdownSize(open) + markdownSize(close);
    if (!cutting && !fits(openSize + markdownSize(section.rows[0]!.text))) cutting = true;
    if (cutting) {
      for (const row of section.rows) cut.set(row.kind, (cut.get(row.kind) ?? 0) + 1);
      continue;
    }
    parts.push(open);
    used += openSize;
    for (const row of section.rows) {
      const size = markdownSize(row.text);
      if (!cutting && fits(size)) {
        parts.push(row.text);
        used += size;
      } else {
        cutting = true;
        cut.set(row.kind, (cut.get(row.kind) ?? 0) + 1);
      }
    }
    parts.push(close);
  }
  if (plan.changes.length === 0 && plan.problems.length === 0 && plan.guards.violations.length === 0) {
    parts.push('No changes. The database matches the configuration.\n');
  }
  parts.push(closing, cutLine(cut, limit));
  return parts.join('');
}

function header(plan: Plan): string {
  const limits = plan.guards.limits;
  const database = plan.databaseTarget === undefined ? '' : `Database: ${code(shorten(plan.databaseTarget))}<br>\n`;
  return (
    `## roster plan: ${code(plan.organization)}\n\n` +
    database +
    `Guard rails: max deactivations ${cell(describeMaxDeactivations(limits.maxDeactivations))}, ` +
    `max reassignments ${cell(describeMaxReassignments(limits.maxReassignments))}, ` +
    `min admins who can log in ${limits.minAdmins}.\n\n` +
    `**${summaryLine(plan.summary)}**\n\n`
  );
}

/** Every section in risk order; empty ones are skipped by the caller. */
function sections(plan: Plan): Section[] {
  const blockers = [...plan.problems.map((p) => p.message), ...plan.guards.violations.map((v) => v.message)];
  const byAction = (action: ChangeAction) => plan.changes.filter((c) => c.action === action);
  const hints = plan.hints ?? [];
  return [
    {
      heading: `> [!CAUTION]\n> **This plan cannot be applied** (${count(blockers.length, 'problem', 'problems')}):`,
      lead: '',
      rows: blockers.map((b) => ({ text: `> - ${cell(b)}\n`, kind: 'problem' as const })),
      unfoldable: true,
    },
    {
      heading: `### ⚠️ Sensitive changes (${plan.sensitive.length.toLocaleString('en')}): review these`,
      lead: '',
      rows: plan.sensitive.map((s) => ({ text: `- ${cell(s.message)}\n`, kind: 'sensitive' as const })),
    },
    {
      heading: `### 💡 Looks like a rename (${hints.length.toLocaleString('en')})`,
      lead: '',
      rows: hints.map((h) => ({ text: `- ${cell(h.message)}\n`, kind: 'hint' as const })),
    },
    changeSection('🗑️ Deletions', byAction('delete')),
    changeSection('⛔ Deactivations', byAction('deactivate')),
    changeSection('♻️ Reactivations', byAction('reactivate')),
    changeSection('➕ Creates', byAction('create')),
    changeSection('✏️ Updates', byAction('update')),
  ];
}

function changeSection(title: string, changes: readonly Change[]): Section {
  return {
    heading: `### ${title} (${changes.length.toLocaleString('en')})`,
    lead: '| Type | Key | Changes |\n| --- | --- | --- |\n',
    rows: changes.map((change) => ({ text: `| ${change.type} | ${code(change.key)} | ${describe(change) || '—'} |\n`, kind: change.action })),
  };
}

function ignoredLine(plan: Plan): string {
  const n = plan.ignoredUsers.length;
  return n === 0 ? '' : `${count(n, 'user', 'users')} in the database but in no file ${n === 1 ? 'is' : 'are'} left as ${n === 1 ? 'it is' : 'they are'} (\`unmanagedUsers: ignore\`).\n`;
}

function cutLine(cut: ReadonlyMap<RowKind, number>, limit: number): string {
  if (cut.size === 0) return '';
  const parts = CUT_ORDER.filter((k) => cut.has(k)).map((k) => count(cut.get(k)!, ...KIND_NAMES[k]));
  return `\n_Not shown, to keep this below ${limit.toLocaleString('en')} characters: ${parts.join(', ')}. Run \`roster plan --format json\` for the whole plan._\n`;
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

function shorten(text: string): string {
  return text.length > HEADER_VALUE_MAX ? `${text.slice(0, HEADER_VALUE_MAX)}…` : text;
}

function describe(change: Change): string {
  const parts: string[] = [];
  if ('reason' in change && change.reason) parts.push(`_${cell(change.reason)}_`);
  for (const [name, field] of Object.entries(change.fields) as [string, { before: unknown; after: unknown }][]) {
    if (change.type === 'user' && change.action === 'create' && name === 'email') continue;
    if (name === 'resetPassword') {
      parts.push('password: _(sensitive, reset)_');
      continue;
    }
    const show = (v: unknown) => code(formatValue(v, { quote: false }));
    parts.push(
      change.action === 'create'
        ? `${name}: ${show(field.after)}`
        : change.action === 'delete'
          ? `${name}: ${show(field.before)}`
          : `${name}: ${show(field.before)} → ${show(field.after)}`,
    );
  }
  if (change.type === 'user' && change.action === 'create') {
    if (!change.active) parts.push('active: `false`');
    if (change.initialPassword) parts.push('initialPassword: _(sensitive)_');
  }
  return parts.join('<br>');
}
