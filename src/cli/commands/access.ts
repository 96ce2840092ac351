/**
 * `roster access [PATH...] [--organization KEY] [--format text|markdown|csv|json|html] [--company KEY] [--role KEY]
 * [--permission P]`: the access review of an organization as stored.
 */
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { readAuditTrail, type AuditTrail } from '../../access/audit-trail.ts';
import { buildAccessReport, type AccessFilters } from '../../access/report.ts';
import { readOrganization, type StoredOrganization } from '../../db/read-state.ts';
import { sql } from '../../db/sql.ts';
import { UserError } from '../../errors.ts';
import { PERMISSIONS, type Permission } from '../../model/permissions.ts';
import type { OrgState } from '../../model/state.ts';
import { renderAccessCsv } from '../../render/access-csv.ts';
import { renderAccessHtml } from '../../render/access-html.ts';
import { renderAccessJson } from '../../render/access-json.ts';
import { renderAccessMarkdown } from '../../render/access-markdown.ts';
import { renderAccessText } from '../../render/access-text.ts';
import { escapeText } from '../../render/escape.ts';
import { chooseStyle } from '../../render/style.ts';
import { phase, type CliIo } from '../io.ts';
import { inSnapshot, loadConfiguration, usingDatabase } from '../session.ts';

export const ACCESS_FORMATS = ['text', 'markdown', 'csv', 'json', 'html'] as const;
export type AccessFormat = (typeof ACCESS_FORMATS)[number];

export interface AccessCommandOptions {
  readonly paths: readonly string[];
  readonly organization: string | undefined;
  readonly format: AccessFormat;
  readonly company: string | undefined;
  readonly role: string | undefined;
  readonly permission: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly io: CliIo;
}

/** The organization as stored and its audit trail, read in one snapshot. */
export interface StoredWithAudit {
  readonly stored: StoredOrganization;
  readonly audit: AuditTrail;
}

const OrganizationKey = z.object({ key: z.string() });

/**
 * Reads organization `key` (else the only one the database holds) and its audit trail in one read-only snapshot.
 * Throws UserError when there is no such organization, or several and none was named.
 */
export async function readStoredWithAudit(options: { key: string | null; databaseUrl: string | undefined; io: CliIo; command: string }): Promise<StoredWithAudit> {
  const { io } = options;
  return usingDatabase({ databaseUrl: options.databaseUrl, io, writes: false }, (database) =>
    phase(io, 'read', () =>
      inSnapshot(database, async (tx) => {
        const key = options.key ?? (await onlyOrganization(tx, options.command));
        const stored = await readOrganization(tx, key);
        if (stored === null) throw new UserError(`the database holds no organization '${escapeText(key)}'. Check the key (roster export lists what it holds), or apply the files first.`);
        return { stored, audit: await readAuditTrail(tx, key) };
      }),
    ),
  );
}

async function onlyOrganization(db: CommonQueryMethods, command: string): Promise<string> {
  const keys = (await db.any(sql.type(OrganizationKey)`select key from organizations order by key limit 21`)).map((row) => row.key);
  if (keys.length === 1) return keys[0]!;
  if (keys.length === 0) throw new UserError('the database holds no organization yet: apply a configuration first');
  throw new UserError(`the database holds several organizations (${keys.slice(0, 20).map(escapeText).join(', ')}${keys.length > 20 ? ', …' : ''}): name one with --organization KEY, or give the files of one (roster ${command} PATH)`);
}

/** Checks the filters against the stored organization. Throws UserError naming what exists. */
export function accessFilters(options: { company?: string; role?: string; permission?: string }, state: OrgState): AccessFilters {
  const { company, role, permission } = options;
  if (permission !== undefined && !(PERMISSIONS as readonly string[]).includes(permission)) {
    throw new UserError(`--permission '${escapeText(permission)}' is not a permission roster knows. Permissions: ${PERMISSIONS.join(', ')}`);
  }
  if (company !== undefined && !state.companies.some((c) => c.key === company)) {
    throw new UserError(`--company '${escapeText(company)}' names no company of organization ${state.organization.key}. Companies: ${state.companies.map((c) => c.key).join(', ') || '(none)'}`);
  }
  const roles = [...(state.predefinedRoles ?? []).map((r) => r.key), ...state.roles.map((r) => r.key)];
  if (role !== undefined && !roles.includes(role)) {
    throw new UserError(`--role '${escapeText(role)}' names no role of organization ${state.organization.key}. Roles: ${roles.join(', ')}`);
  }
  return { company: company ?? null, role: role ?? null, permission: (permission as Permission | undefined) ?? null };
}

/** Prints the access review. Exit 0. Throws UserError, ConfigError, DatabaseError. */
export async function accessCommand(options: AccessCommandOptions): Promise<number> {
  const { io } = options;
  const desired = options.paths.length > 0 ? (await loadConfiguration(options.paths, io)).config.state : null;
  if (desired !== null && options.organization !== undefined && options.organization !== desired.organization.key) {
    throw new UserError(`--organization ${escapeText(options.organization)} is not the organization of the files (${desired.organization.key}): give one or the other`);
  }
  const { stored, audit } = await readStoredWithAudit({ key: desired?.organization.key ?? options.organization ?? null, databaseUrl: options.databaseUrl, io, command: 'access' });
  const filters = accessFilters(options, stored.state);
  const report = buildAccessReport({
    stored: stored.state,
    changedAt: stored.changedAt,
    applies: audit.applies,
    desired,
    filters,
    generatedAt: new Date().toISOString(),
  });
  if (audit.unreadableChanges > 0) io.stderr.write(`warning: ${audit.unreadableChanges} entr${audit.unreadableChanges === 1 ? 'y' : 'ies'} of the audit trail could not be read and ${audit.unreadableChanges === 1 ? 'is' : 'are'} left out.\n`);
  const render = {
    text: () => renderAccessText(report, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })),
    markdown: () => renderAccessMarkdown(report),
    csv: () => renderAccessCsv(report),
    json: () => renderAccessJson(report),
    html: () => renderAccessHtml(report),
  };
  io.stdout.write(render[options.format]());
  return 0;
}
