/**
 * The audit trail as data (audit_applies, migrations 0001, 0004, 0007): one entry per apply, with its changes.
 * Read at the edge (readAuditTrail), typed at the boundary with zod: a row or change someone wrote by hand that does
 * not fit is counted as unreadable, never trusted and never a crash.
 */
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { sql } from '../db/sql.ts';
import { UserError } from '../errors.ts';

/** One change as apply records it (src/apply/apply.ts, auditEntry): field changes, or a created user's values. */
export interface AuditChange {
  readonly type: 'organization' | 'company' | 'role' | 'user';
  readonly action: 'create' | 'update' | 'delete' | 'deactivate' | 'reactivate';
  /** The row's key after the change (a user's email after a rename). */
  readonly key: string;
  /** Each changed field's value before and after (absent for a created user, which has `after`). */
  readonly fields: Readonly<Record<string, { readonly before: unknown; readonly after: unknown }>>;
  /** A created user's values. */
  readonly after: Readonly<Record<string, unknown>> | null;
}

/** One apply recorded in the audit trail. */
export interface AuditApply {
  readonly id: number;
  /** When it was applied, in milliseconds since the epoch (floored, like the rows' change times). */
  readonly atMs: number;
  readonly actor: string;
  /** The database role that wrote it (0007; null for older rows). */
  readonly databaseRole: string | null;
  readonly gitCommit: string | null;
  readonly changes: readonly AuditChange[];
}

/** The audit trail of one organization, oldest apply first, and how many recorded changes could not be read. */
export interface AuditTrail {
  readonly applies: readonly AuditApply[];
  readonly unreadableChanges: number;
}

const ApplyRow = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.string(),
  database_role: z.string().nullable(),
  git_commit: z.string().nullable(),
  changes: z.string(),
});

const FieldChangeSchema = z.object({ before: z.unknown(), after: z.unknown() });
const ChangeSchema = z.object({
  type: z.enum(['organization', 'company', 'role', 'user']),
  action: z.enum(['create', 'update', 'delete', 'deactivate', 'reactivate']),
  key: z.string(),
  fields: z.record(FieldChangeSchema).optional(),
  after: z.record(z.unknown()).optional(),
});

/**
 * Parses one apply's stored changes (JSON text). Pure. Entries that do not fit {@link AuditChange} are counted, not
 * returned. Never throws.
 */
export function parseAuditChanges(text: string): { changes: AuditChange[]; unreadable: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { changes: [], unreadable: 1 };
  }
  if (!Array.isArray(raw)) return { changes: [], unreadable: 1 };
  const changes: AuditChange[] = [];
  let unreadable = 0;
  for (const entry of raw) {
    const parsed = ChangeSchema.safeParse(entry);
    if (!parsed.success) {
      unreadable++;
      continue;
    }
    const { type, action, key, fields, after } = parsed.data;
    changes.push({
      type,
      action,
      key,
      fields: Object.fromEntries(Object.entries(fields ?? {}).map(([name, change]) => [name, { before: change.before ?? null, after: change.after ?? null }])),
      after: after ?? null,
    });
  }
  return { changes, unreadable };
}

/**
 * Reads the audit trail of organization `key`, oldest first (empty when it has none). Needs SELECT on
 * audit_applies.changes: throws UserError saying so when the role lacks it; otherwise only what the database throws.
 */
export async function readAuditTrail(db: CommonQueryMethods, key: string): Promise<AuditTrail> {
  const readable = await db.oneFirst(sql.type(z.object({ readable: z.boolean() }))`select has_column_privilege('audit_applies', 'changes', 'select') as readable`);
  if (!readable) {
    throw new UserError(
      "this database role cannot read the audit trail's changes (audit_applies.changes), which say who changed each row; " +
        'run as a role that can read them (the schema owner, a role set up by `roster migrate --grant-to ROLE [--read-only]`, ' +
        'or one given `grant select (changes) on audit_applies to ROLE`), then run roster again.',
    );
  }
  // The columns' types are the database's own (casts and NOT NULL): a row always fits ApplyRow; what a hand-made
  // row can get wrong is the changes' JSON, parsed leniently below.
  const rows = await db.any(sql.type(ApplyRow)`
    select a.id::int as id, floor(extract(epoch from a.applied_at) * 1000)::float8 as at, a.actor, a.database_role,
           a.git_commit, a.changes::text as changes
      from audit_applies a join organizations o on o.id = a.organization_id
     where o.key = ${key}
     order by a.id`);
  const applies: AuditApply[] = [];
  let unreadableChanges = 0;
  for (const row of rows) {
    const { changes, unreadable } = parseAuditChanges(row.changes);
    unreadableChanges += unreadable;
    applies.push({
      id: row.id,
      atMs: row.at,
      actor: row.actor,
      databaseRole: row.database_role,
      gitCommit: row.git_commit,
      changes,
    });
  }
  return { applies, unreadableChanges };
}
