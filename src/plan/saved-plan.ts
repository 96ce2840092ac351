/**
 * Saved plans: a plan written by `plan --out`, applied later by `apply PLAN.json` exactly as reviewed.
 *
 * A plan file is data someone else could have written. It is bound to what produced it: the organization and the
 * database (roster_database.id), the configuration files (each path with the sha256 of its bytes) and every row it
 * changes (that row's version, opaque when a key is set). With ROSTER_PLAN_KEY it carries an HMAC-SHA256 over its
 * canonical body; without one, a plain sha256 that only catches accidents, and apply then trusts nothing in it that
 * the files do not say again. Everything here is pure except reading the key from the environment it is given.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Ajv } from 'ajv';
import { compareStrings, UserError } from '../errors.ts';
import { escapeText } from '../render/escape.ts';
import { readPackageJson } from '../paths.ts';
import { COMPANY_FIELDS, fieldValue, ORGANIZATION_FIELDS, ROLE_FIELDS, sameValue, USER_FIELDS, withNormalizedFields, type FieldDescriptor } from '../model/fields.ts';
import { emailKey, normalizeText, rowId, type OrgState, type UserSpec } from '../model/state.ts';
import { PLAN_FORMAT_VERSION, storedEmail, type Change, type ConfigFileDigest, type PasswordSource, type Plan, type SavedPlan } from './types.ts';

const PLAN_SCHEMA = readPackageJson<Record<string, unknown>>('schema', 'plan.schema.json');

/** Environment variable holding the key shared by the plan and apply jobs. */
export const PLAN_KEY_VARIABLE = 'ROSTER_PLAN_KEY';
/** Shortest key accepted, in bytes: a key anyone can guess authenticates nothing. */
const MIN_KEY_BYTES = 16;
/** Separates the MAC of a plan body from any other use of the same key. */
const BODY_DOMAIN = 'roster plan file v1\n';
const VERSION_DOMAIN = 'roster row version v1\n';

/** A plan file that cannot be used: corrupted, forged, from another roster, or for another database or configuration. */
export class PlanFileError extends UserError {}

/** The key that authenticates plan files, from ROSTER_PLAN_KEY; null when it is not set. Throws {@link UserError} for an empty or short key. */
export function readPlanKey(env: Readonly<Record<string, string | undefined>>): Buffer | null {
  const value = env[PLAN_KEY_VARIABLE];
  if (value === undefined) return null;
  if (value.trim() === '') {
    throw new UserError(`${PLAN_KEY_VARIABLE} is set but empty: is the secret available to this job? Unset it, or set the key the plan job uses`);
  }
  const key = Buffer.from(value, 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new UserError(`${PLAN_KEY_VARIABLE} is too short (${key.length} bytes; at least ${MIN_KEY_BYTES}): use a long random secret, e.g. \`openssl rand -hex 32\``);
  }
  return key;
}

/** Turns a row's version into what a plan file records: the version itself without a key, else an HMAC of it. */
export type VersionStamp = (row: string, version: string) => string;

/**
 * The stamp for row versions: with a key, an HMAC over the database, the row and its version, so a plan file
 * neither shows nor can be made to carry a version (xmin is nearly sequential and would otherwise be guessable).
 */
export function versionStamp(key: Buffer | null, database: string): VersionStamp {
  if (key === null) return (_row, version) => version;
  return (row, version) =>
    'hmac:' + createHmac('sha256', key).update(`${VERSION_DOMAIN}${database}\n${row}\n${version}`).digest('hex').slice(0, 32);
}

/** The row a change touches as stored before it: for a rename, the old email. */
function touchedRow(change: Change): string {
  if (change.type === 'user' && change.action !== 'create') return rowId('user', storedEmail(change));
  return rowId(change.type, change.key);
}

/** Returns `plan` with each change stamped with the version of the row it was computed from. Pure. */
export function stampVersions(plan: Plan, versions: ReadonlyMap<string, string>, stamp: VersionStamp = (_r, v) => v): Plan {
  return {
    ...plan,
    changes: plan.changes.map((change) => {
      const row = touchedRow(change);
      const version = change.action === 'create' ? undefined : versions.get(row);
      return version === undefined ? change : ({ ...change, version: stamp(row, version) } as Change);
    }),
  };
}

/** The changes of a plan without their version stamps. Pure. */
export function unstamped(changes: readonly Change[]): Change[] {
  return changes.map((change) => {
    if (change.version === undefined) return change;
    const { version: _version, ...rest } = change;
    return rest as Change;
  });
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareStrings(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function authenticate(body: object, key: Buffer | null): string {
  const text = BODY_DOMAIN + canonicalJson(body);
  return key === null
    ? 'sha256:' + createHash('sha256').update(text).digest('hex')
    : 'hmac-sha256:' + createHmac('sha256', key).update(text).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The file form of a plan: metadata, and a checksum (no key) or MAC (with a key) over everything else. Pure. */
export function toSavedPlan(plan: Plan, meta: Omit<SavedPlan, keyof Plan | 'checksum'>, key: Buffer | null): SavedPlan {
  const body = { ...plan, ...meta };
  return { ...body, checksum: authenticate(body, key) };
}

/**
 * Reads a plan file's text and checks that it is intact and, with `key`, authentic. Throws {@link PlanFileError}
 * for anything else, saying why and what to do: not a plan, from another format version, made with a key when
 * none is set here or without one when one is, edited after it was made. `source` names the file in messages.
 */
export function parseSavedPlan(text: string, source: string, key: Buffer | null): SavedPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new PlanFileError(`${source} is not a roster plan file (it is not valid JSON); make it again with roster plan --out`);
  }
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > PLAN_FORMAT_VERSION) {
    throw new PlanFileError(`${source} was made by a newer roster (plan format ${version}; this roster reads ${PLAN_FORMAT_VERSION}); upgrade roster`);
  }
  const validate = new Ajv({ allErrors: false, strict: true }).compile(PLAN_SCHEMA);
  const saved = data as Partial<SavedPlan> | null;
  if (!validate(data) || typeof saved?.checksum !== 'string' || typeof saved.database !== 'string') {
    const where = validate.errors?.[0]?.instancePath;
    throw new PlanFileError(
      `${source} is not an intact roster plan file${where ? ` (at ${where})` : ' (it has no checksum or database)'}; make it again with roster plan --out`,
    );
  }
  if (!Array.isArray(saved.configPaths) || saved.configPaths.length === 0 || !Array.isArray(saved.configFiles)) {
    throw new PlanFileError(`${source} was made by an older roster and does not say which files it was made from; make it again with roster plan --out`);
  }
  const { checksum, ...body } = saved as SavedPlan;
  const keyed = checksum.startsWith('hmac-sha256:');
  if (keyed && key === null) {
    throw new PlanFileError(
      `${source} was authenticated with ${PLAN_KEY_VARIABLE}, which is not set here; nothing was applied. Set the same ${PLAN_KEY_VARIABLE} as the job that made the plan`,
    );
  }
  if (!keyed && key !== null) {
    throw new PlanFileError(
      `${source} was made without ${PLAN_KEY_VARIABLE}, but ${PLAN_KEY_VARIABLE} is set here, so it cannot be authenticated; nothing was applied. ` +
        `Make the plan with the same ${PLAN_KEY_VARIABLE} as apply`,
    );
  }
  if (!sameText(authenticate(body, key), checksum)) {
    throw new PlanFileError(
      keyed
        ? `${source} does not carry a valid MAC for ${PLAN_KEY_VARIABLE}: it was modified after it was made, or made with another key; nothing was applied. Make it again with roster plan --out`
        : `${source} was modified or corrupted after it was made (its checksum does not match); make it again with roster plan --out`,
    );
  }
  return saved as SavedPlan;
}

/** The plan inside a saved plan, without the file's own fields. Pure. */
export function planOf(saved: SavedPlan): Plan {
  const {
    database: _database,
    configHash: _hash,
    configPaths: _paths,
    configFiles: _files,
    createdAt: _created,
    rosterVersion: _version,
    checksum: _checksum,
    ...plan
  } = saved;
  return plan;
}

/** Whether a saved plan carries a MAC (made with ROSTER_PLAN_KEY), rather than a plain checksum. */
export function isAuthenticated(saved: SavedPlan): boolean {
  return saved.checksum.startsWith('hmac-sha256:');
}

/** How the configuration files found now differ from those a plan was made from, by path. */
export interface FileDifferences {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** Compares the file digests a plan recorded with those of the files found now. Pure. */
export function compareConfigFiles(recorded: readonly ConfigFileDigest[], found: readonly ConfigFileDigest[]): FileDifferences {
  const then = new Map(recorded.map((f) => [f.path, f.sha256]));
  const now = new Map(found.map((f) => [f.path, f.sha256]));
  return {
    added: [...now.keys()].filter((p) => !then.has(p)).sort(compareStrings),
    removed: [...then.keys()].filter((p) => !now.has(p)).sort(compareStrings),
    changed: [...now].filter(([p, digest]) => then.has(p) && then.get(p) !== digest).map(([p]) => p).sort(compareStrings),
  };
}

/** Whether there is any difference. */
export function filesDiffer(differences: FileDifferences): boolean {
  return differences.added.length + differences.removed.length + differences.changed.length > 0;
}

/**
 * The rows a saved plan touches that moved since it was made: changed, deleted, or (for creations) created
 * meanwhile. Empty when the plan still applies. `stamp` must be the one the plan was stamped with. Pure.
 */
export function staleRows(plan: Plan, versions: ReadonlyMap<string, string>, stamp: VersionStamp = (_r, v) => v): string[] {
  const stale: string[] = [];
  for (const change of plan.changes) {
    const row = touchedRow(change);
    const now = versions.get(row);
    if (change.action === 'create') {
      if (now !== undefined) stale.push(`${escapeText(row)} (created since the plan was made)`);
    } else if (now === undefined) {
      stale.push(`${escapeText(row)} (deleted since the plan was made)`);
    } else if (change.version === undefined || !sameText(stamp(row, now), change.version)) {
      stale.push(`${escapeText(row)} (changed since the plan was made)`);
    }
    if (change.type === 'user' && change.action !== 'create' && change.fields.email) {
      const target = rowId('user', change.fields.email.after!);
      if (target !== row && versions.has(target)) stale.push(`${escapeText(target)} (created since the plan was made)`);
    }
  }
  return stale;
}

/** How many differing changes a refusal lists before it says "and N more". */
const DIFFERENCES_SHOWN = 20;

/**
 * What differs between the changes of a plan file and those planned now, one line per change (at most
 * {@link DIFFERENCES_SHOWN}, then a count), comparing everything but version stamps. Empty when they are equal. Pure.
 * Lines quote keys and field names, never values: a forged file chooses its values.
 */
export function changeDifferences(saved: readonly Change[], fresh: readonly Change[]): string[] {
  const id = (c: Change) => escapeText(`${c.type}:${c.key}`);
  const before = new Map(unstamped(saved).map((c) => [id(c), c]));
  const after = new Map(unstamped(fresh).map((c) => [id(c), c]));
  const lines: string[] = [];
  for (const [key, change] of before) {
    const now = after.get(key);
    if (now === undefined) lines.push(`- ${key}: ${change.action} in the plan file, not planned now`);
    else if (canonicalJson(change) !== canonicalJson(now)) lines.push(`~ ${key}: ${describeDifference(change, now)}`);
  }
  for (const [key, change] of after) if (!before.has(key)) lines.push(`+ ${key}: ${change.action} planned now, not in the plan file`);
  if (lines.length === 0 && canonicalJson(unstamped(saved)) !== canonicalJson(unstamped(fresh))) lines.push('~ the order of the changes differs');
  if (lines.length <= DIFFERENCES_SHOWN) return lines;
  return [...lines.slice(0, DIFFERENCES_SHOWN), `… and ${lines.length - DIFFERENCES_SHOWN} more`];
}

function describeDifference(saved: Change, fresh: Change): string {
  if (saved.action !== fresh.action) return `${saved.action} in the plan file, ${fresh.action} planned now`;
  const parts: string[] = [];
  const savedFields = saved.fields as Record<string, unknown>;
  const freshFields = fresh.fields as Record<string, unknown>;
  const fieldNames = [...new Set([...Object.keys(savedFields), ...Object.keys(freshFields)])].sort(compareStrings);
  for (const name of fieldNames) if (canonicalJson(savedFields[name]) !== canonicalJson(freshFields[name])) parts.push(name);
  const rest = [...new Set([...Object.keys(saved), ...Object.keys(fresh)])].filter((k) => k !== 'fields').sort(compareStrings);
  for (const name of rest) {
    if (canonicalJson((saved as unknown as Record<string, unknown>)[name]) !== canonicalJson((fresh as unknown as Record<string, unknown>)[name])) parts.push(name);
  }
  return `${parts.join(', ')} differ${parts.length === 1 ? 's' : ''}`;
}

/** Whether `spec` holds the value each of `fields` the change carries sets, both in normal form (model/fields.ts). */
function holdsFields(fields: readonly FieldDescriptor[], spec: object, changes: object): boolean {
  const wanted: Record<string, unknown> = {};
  const carried = fields.filter((field) => {
    const change: unknown = (changes as Record<string, unknown>)[field.name];
    if (typeof change !== 'object' || change === null || !('after' in change)) return false;
    wanted[field.name] = change.after;
    return true;
  });
  const stored = withNormalizedFields(carried, spec, normalizeText);
  const meant = withNormalizedFields(carried, wanted, normalizeText);
  return carried.every((field) => sameValue(field, fieldValue(stored, field), fieldValue(meant, field)));
}

/**
 * Whether every change is already in effect in `state`: each row holds the values the change sets (a created row
 * exists, a deleted one is gone). True for a plan that was applied already; false when any change would still
 * change something. Passwords are not compared (they cannot be read back). Pure.
 */
export function alreadyInEffect(changes: readonly Change[], state: OrgState | null): boolean {
  if (changes.length === 0) return false;
  if (state === null) return false;
  const users = new Map<string, UserSpec>(state.users.map((u) => [emailKey(u.email), u]));
  return changes.every((change) => {
    switch (change.type) {
      case 'organization':
        return state.organization.key === change.key && holdsFields(ORGANIZATION_FIELDS, state.organization, change.fields);
      case 'company': {
        const company = state.companies.find((c) => c.key === change.key);
        if (change.action === 'delete') return company === undefined;
        return company !== undefined && holdsFields(COMPANY_FIELDS, company, change.fields);
      }
      case 'role': {
        const role = state.roles.find((r) => r.key === change.key);
        if (change.action === 'delete') return role === undefined;
        return role !== undefined && holdsFields(ROLE_FIELDS, role, change.fields);
      }
      case 'user': {
        const email = change.action === 'create' ? change.key : (change.fields.email?.after ?? change.key);
        const user = users.get(emailKey(email));
        if (user === undefined) return false;
        const f = change.fields;
        const fieldsHold =
          (!f.email || emailKey(user.email) === emailKey(f.email.after ?? '')) &&
          holdsFields(USER_FIELDS, user, f) &&
          (!f.resetPassword || user.resetPassword === f.resetPassword.after);
        if (!fieldsHold) return false;
        if (change.action === 'create') return user.active === change.active;
        if (change.action === 'deactivate') return !user.active;
        if (change.action === 'reactivate') return user.active;
        return true;
      }
    }
  });
}

/** The password sources a set of changes uses. */
function passwordSources(changes: readonly Change[]): { user: string; source: PasswordSource }[] {
  const found: { user: string; source: PasswordSource }[] = [];
  for (const change of changes) {
    if (change.type !== 'user') continue;
    if (change.action === 'create' && change.initialPassword) found.push({ user: change.key, source: change.initialPassword });
    if (change.action !== 'create' && change.newPassword) found.push({ user: change.key, source: change.newPassword });
  }
  return found;
}

/**
 * Password sources a saved plan may not use: a `hash` source must point into one of the configuration files the
 * plan was made from (a YAML file it names), never into the plan file or any other file. Returns one message per
 * offending source; empty when all are allowed. `isPlanFile` tells whether a path names the plan file. Pure.
 */
export function forbiddenPasswordSources(
  changes: readonly Change[],
  configFiles: readonly ConfigFileDigest[],
  isPlanFile: (path: string) => boolean,
): string[] {
  const allowed = new Set(configFiles.map((f) => f.path));
  const problems: string[] = [];
  for (const { user, source } of passwordSources(changes)) {
    if (source.source !== 'hash') continue;
    const path = source.file.split('\\').join('/');
    if (isPlanFile(source.file) || !allowed.has(path) || !/\.ya?ml$/i.test(path)) {
      problems.push(`the password hash of ${escapeText(user)} is said to be in ${escapeText(path)}, which is not one of the configuration files the plan was made from`);
    }
  }
  return problems;
}
