/**
 * Export: the organization as stored, written as configuration files that plan to no changes, and only what
 * validation accepts (checked by the configuration loader, in memory). Returns file names and contents; writes
 * nothing. Never includes a password or a hash.
 */
import { join } from 'node:path';
import { Document, isMap, isSeq, parseDocument, visit } from 'yaml';
import { configFromContents } from '../config/load.ts';
import { compareStrings, ConfigError, UserError, type Diagnostic } from '../errors.ts';
import { escapeText } from '../render/escape.ts';
import { COMPANY_FIELDS, configEntry, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS } from '../model/fields.ts';
import { emailKey, showStored, sortedBy, type OrgState } from '../model/state.ts';
import { screenStoredState } from '../plan/stored-problems.ts';

export interface ExportOptions {
  /** One users file per company (users/<company>.yaml) instead of one users.yaml. */
  readonly usersByCompany: boolean;
  /** The schema's path relative to the output directory, for the editor modeline. */
  readonly schemaPath: string;
  /** A note for the first comment line, e.g. where the data came from. */
  readonly source: string;
  /** Write `unmanagedUsers: ignore` (when some users could not be exported, so applying the files leaves them alone). */
  readonly ignoreUnmanaged?: boolean;
}

/** A stored row export left out, and why. */
export interface SkippedRow {
  readonly type: 'organization' | 'company' | 'role' | 'user';
  readonly key: string;
  /** What is wrong with it (and what to do), as validation or the plan would say it. */
  readonly reason: string;
}

/** The files to write, by path relative to the output directory, in a stable order. */
export function exportOrganization(state: OrgState, options: ExportOptions): Map<string, string> {
  const files = new Map<string, string>();
  const header = (depth: number, what: string) =>
    `# yaml-language-server: $schema=${'../'.repeat(depth)}${options.schemaPath}\n# ${what}, exported by roster from ${escapeText(options.source)}.\n`;

  const organization = { ...configEntry(ORGANIZATION_FIELDS, state.organization, { key: state.organization.key }), ...(options.ignoreUnmanaged ? { unmanagedUsers: 'ignore' } : {}) };
  files.set('organization.yaml', header(0, 'The organization') + yaml({ organization }));
  files.set('companies.yaml', header(0, 'Companies') + yaml({ companies: [...state.companies].sort(byKey).map((c) => configEntry(COMPANY_FIELDS, c, { key: c.key })) }));
  files.set(
    'roles.yaml',
    header(0, 'Custom roles (admin, editor and viewer are predefined)') + yaml({ roles: [...state.roles].sort(byKey).map((r) => configEntry(ROLE_FIELDS, r, { key: r.key })) }),
  );
  const users = sortedBy(state.users, (u) => emailKey(u.email));
  const entry = (u: OrgState['users'][number]) => ({ ...configEntry(USER_FIELDS, u, { email: u.email }), ...(u.active ? {} : { active: false }) });
  if (options.usersByCompany) {
    for (const company of [...state.companies].sort(byKey)) {
      const members = users.filter((u) => u.company === company.key);
      if (members.length > 0) files.set(`users/${company.key}.yaml`, header(1, `Users of ${company.key}`) + yaml({ users: members.map(entry) }));
    }
  } else {
    files.set('users.yaml', header(0, 'Users') + yaml({ users: users.map(entry) }));
  }
  return files;
}

function byKey(a: { key: string }, b: { key: string }): number {
  return compareStrings(a.key, b.key);
}

/** Block YAML, with permission lists in flow style as people write them. */
function yaml(value: Record<string, unknown>): string {
  const document = new Document(value);
  visit(document, {
    Pair(_, pair) {
      if ((pair.key as { value?: unknown } | null)?.value === 'permissions' && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** How many rounds of leaving rows out before giving up: each round leaves out at least one row. */
const MAX_ROUNDS = 50;

/**
 * Exports `state` as {@link exportOrganization} does, writing only what validation accepts: the files are run through
 * the configuration loader (as `roster validate` would read them in `directory`), and every row they refuse is left
 * out and returned in `skipped`, with rows roster cannot read or match safely (state.unreadable, emails not in normal
 * form, several rows that are one login). When users are left out, the files say `unmanagedUsers: ignore`, so applying
 * them never deactivates those users. Throws {@link UserError} when the organization itself cannot be exported.
 */
export async function exportValidated(
  state: OrgState,
  options: ExportOptions & { readonly directory: string },
): Promise<{ files: Map<string, string>; skipped: SkippedRow[] }> {
  const skipped: SkippedRow[] = (state.unreadable ?? []).map((row) => ({ type: row.type, key: row.key ?? `(id ${row.id})`, reason: row.message }));
  const screened = screenStoredState({ ...state, predefinedRoles: undefined, unreadable: undefined });
  for (const problem of screened.problems) {
    for (const email of problem.users) skipped.push({ type: 'user', key: email, reason: problem.message });
  }
  let current: OrgState = screened.state;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ignoreUnmanaged = skipped.some((row) => row.type === 'user');
    const files = exportOrganization(current, { ...options, ignoreUnmanaged });
    const diagnostics = await validationProblems(files, options.directory);
    if (diagnostics.length === 0) return { files, skipped: sortSkipped(skipped) };
    const refused = refusedRows(files, diagnostics, options);
    if (refused.rows.length === 0) {
      throw new UserError(
        `the organization as stored cannot be exported as a valid configuration: ${escapeText(refused.unplaced.map((d) => `${d.position.file}:${d.position.line}: ${d.message}`).join('; '))}. ` +
          'Fix it in the database, then export again.',
      );
    }
    for (const row of refused.rows) skipped.push(row);
    const gone = (type: SkippedRow['type']) => new Set(refused.rows.filter((r) => r.type === type).map((r) => (type === 'user' ? emailKey(r.key) : r.key)));
    const users = gone('user');
    const companies = gone('company');
    const roles = gone('role');
    current = {
      ...current,
      companies: current.companies.filter((c) => !companies.has(c.key)),
      roles: current.roles.filter((r) => !roles.has(r.key)),
      users: current.users.filter((u) => !users.has(emailKey(u.email))),
    };
  }
  throw new UserError('the organization as stored cannot be exported as a valid configuration; fix the rows named by roster validate, then export again');
}

/** Every problem the configuration loader finds in `files` as if they were in `directory`. */
async function validationProblems(files: ReadonlyMap<string, string>, directory: string): Promise<readonly Diagnostic[]> {
  const names = [...files.keys()];
  try {
    await configFromContents(
      names.map((name) => join(directory, name)),
      names.map((name) => new TextEncoder().encode(files.get(name)!)),
      directory,
    );
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics;
    throw error;
  }
}

/** The rows whose list items the diagnostics point into; the diagnostics that point at none. */
function refusedRows(files: ReadonlyMap<string, string>, diagnostics: readonly Diagnostic[], options: { readonly directory: string }): { rows: SkippedRow[]; unplaced: Diagnostic[] } {
  const rows = new Map<string, SkippedRow>();
  const unplaced: Diagnostic[] = [];
  const documents = new Map<string, ReturnType<typeof parseDocument>>();
  for (const diagnostic of diagnostics) {
    const name = [...files.keys()].find((n) => diagnostic.position.file === n || diagnostic.position.file.endsWith(`/${n}`) || join(options.directory, n) === diagnostic.position.file);
    const row = name === undefined ? null : rowAt(files.get(name)!, diagnostic, documents, name);
    if (row === null) {
      unplaced.push(diagnostic);
      continue;
    }
    const id = `${row.type}:${row.key}`;
    const earlier = rows.get(id);
    rows.set(id, earlier ? { ...earlier, reason: `${earlier.reason}; ${diagnostic.message}` } : { ...row, reason: diagnostic.message });
  }
  return { rows: [...rows.values()], unplaced };
}

/** The list entry (user, company or role) of `text` that holds the diagnostic's position, or null. */
function rowAt(text: string, diagnostic: Diagnostic, documents: Map<string, ReturnType<typeof parseDocument>>, name: string): Omit<SkippedRow, 'reason'> | null {
  let document = documents.get(name);
  if (!document) {
    document = parseDocument(text);
    documents.set(name, document);
  }
  const lines = text.split('\n');
  const offset = lines.slice(0, diagnostic.position.line - 1).reduce((sum, line) => sum + line.length + 1, 0) + diagnostic.position.col - 1;
  const root = document.contents;
  if (!isMap(root)) return null;
  for (const [section, type, field] of [['users', 'user', 'email'], ['companies', 'company', 'key'], ['roles', 'role', 'key']] as const) {
    const list = root.get(section, true);
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      const range = (item as { range?: [number, number, number] }).range;
      if (!range || offset < range[0] || offset > range[2] || !isMap(item)) continue;
      const key = item.get(field);
      return typeof key === 'string' ? { type, key } : null;
    }
  }
  return null;
}

function sortSkipped(rows: readonly SkippedRow[]): SkippedRow[] {
  const seen = new Set<string>();
  return [...rows]
    .sort((a, b) => compareStrings(a.type, b.type) || compareStrings(a.key, b.key))
    .filter((row) => {
      const id = `${row.type}:${row.key}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}

/** One line per skipped row, for the export command: what was left out, why, and what to do. */
export function describeSkipped(rows: readonly SkippedRow[]): string {
  return rows.map((row) => `  ${row.type} '${showStored(row.key)}': ${escapeText(row.reason)}`).join('\n');
}
