/**
 * Saved plans: a plan written by `plan --out`, applied later by `apply PLAN.json` exactly as reviewed.
 * It records the version of every row it touches; rows that moved since make it stale, other rows do not.
 */
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { UserError } from '../errors.ts';
import { readPackageJson } from '../paths.ts';
import { rowId } from '../model/state.ts';
import { PLAN_FORMAT_VERSION, storedEmail, type Change, type Plan, type SavedPlan } from './types.ts';

const PLAN_SCHEMA = readPackageJson<Record<string, unknown>>('schema', 'plan.schema.json');

/** A plan file that cannot be used: corrupted, from a newer roster, or for another database. */
export class PlanFileError extends UserError {}

/** The row a change touches as stored before it: for a rename, the old email. */
function touchedRow(change: Change): string {
  if (change.type === 'user' && change.action !== 'create') return rowId('user', storedEmail(change));
  return rowId(change.type, change.key);
}

/** Returns `plan` with each change stamped with the version of the row it was computed from. Pure. */
export function stampVersions(plan: Plan, versions: ReadonlyMap<string, string>): Plan {
  return {
    ...plan,
    changes: plan.changes.map((change) => {
      const version = change.action === 'create' ? undefined : versions.get(touchedRow(change));
      return version === undefined ? change : ({ ...change, version } as Change);
    }),
  };
}

/** The file form of a plan: metadata and a checksum over everything else. */
export function toSavedPlan(plan: Plan, meta: Omit<SavedPlan, keyof Plan | 'checksum'>): SavedPlan {
  const body = { ...plan, ...meta };
  return { ...body, checksum: checksumOf(body) };
}

function checksumOf(body: object): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * Reads a plan file's text. Throws {@link PlanFileError} for anything but an intact plan of this format version.
 * `source` names the file in messages.
 */
export function parseSavedPlan(text: string, source: string): SavedPlan {
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
  const { checksum, ...body } = saved as SavedPlan;
  if (checksumOf(body) !== checksum) {
    throw new PlanFileError(`${source} was modified or corrupted after it was made (its checksum does not match); make it again with roster plan --out`);
  }
  return saved as SavedPlan;
}

/**
 * The rows a saved plan touches that moved since it was made: changed, deleted, or (for creations) created
 * meanwhile. Empty when the plan still applies. Pure.
 */
export function staleRows(plan: Plan, versions: ReadonlyMap<string, string>): string[] {
  const stale: string[] = [];
  for (const change of plan.changes) {
    const row = touchedRow(change);
    const now = versions.get(row);
    if (change.action === 'create') {
      if (now !== undefined) stale.push(`${row} (created since the plan was made)`);
    } else if (now === undefined) {
      stale.push(`${row} (deleted since the plan was made)`);
    } else if (now !== change.version) {
      stale.push(`${row} (changed since the plan was made)`);
    }
    if (change.type === 'user' && change.action !== 'create' && change.fields.email) {
      const target = rowId('user', change.fields.email.after!);
      if (target !== row && versions.has(target)) stale.push(`${target} (created since the plan was made)`);
    }
  }
  return stale;
}
