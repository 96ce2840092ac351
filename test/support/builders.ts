/** Small builders for organization states, so tests say only what matters to them. */
import type { Permission } from '../../src/model/permissions.ts';
import type { CompanySpec, OrgState, RoleSpec, UserSpec } from '../../src/model/state.ts';

export function company(key: string, name = `Company ${key}`): CompanySpec {
  return { key, name };
}

export function role(key: string, permissions: Permission[] = ['view_dashboards'], extra: Partial<RoleSpec> = {}): RoleSpec {
  return { key, name: `Role ${key}`, description: null, permissions, ...extra };
}

export function user(email: string, extra: Partial<UserSpec> = {}): UserSpec {
  const local = email.split('@')[0]!;
  return {
    email,
    firstName: local.split('.')[0] ?? local,
    lastName: local.split('.')[1] ?? 'Doe',
    role: 'viewer',
    company: 'hq',
    active: true,
    formerEmails: [],
    initialPassword: null,
    resetPassword: null,
    ...extra,
  };
}

/** An organization `acme` with company `hq` unless told otherwise. */
export function org(parts: Partial<OrgState> & { name?: string; key?: string } = {}): OrgState {
  return {
    organization: { key: parts.key ?? parts.organization?.key ?? 'acme', name: parts.name ?? parts.organization?.name ?? 'Acme Inc.' },
    companies: parts.companies ?? [company('hq')],
    roles: parts.roles ?? [],
    users: parts.users ?? [],
  };
}

/** The YAML configuration text of a state, as an administrator would write it. */
export function toConfigObject(state: OrgState): Record<string, unknown> {
  return {
    organization: state.organization,
    companies: state.companies,
    roles: state.roles.map((r) => ({ key: r.key, name: r.name, ...(r.description ? { description: r.description } : {}), permissions: r.permissions })),
    users: state.users.map((u) => ({
      email: u.email,
      firstName: u.firstName,
      lastName: u.lastName,
      role: u.role,
      company: u.company,
      ...(u.active ? {} : { active: false }),
      ...(u.formerEmails.length > 0 ? { formerEmails: u.formerEmails } : {}),
      ...(u.initialPassword ? { initialPassword: passwordReference(u.initialPassword) } : {}),
      ...(u.resetPassword !== null ? { resetPassword: u.resetPassword } : {}),
    })),
  };
}

function passwordReference(ref: NonNullable<UserSpec['initialPassword']>): Record<string, string> {
  switch (ref.kind) {
    case 'env':
      return { env: ref.name };
    case 'file':
      return { file: ref.path };
    case 'hash':
      return { hash: ref.hash };
  }
}
