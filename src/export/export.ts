/**
 * Export: the organization as stored, written as configuration files that plan to no changes. Pure: returns
 * file names and contents. Never includes a password or a hash.
 */
import { Document, isSeq, visit } from 'yaml';
import { compareStrings } from '../errors.ts';
import { emailKey, sortedBy, type OrgState } from '../model/state.ts';

export interface ExportOptions {
  /** One users file per company (users/<company>.yaml) instead of one users.yaml. */
  readonly usersByCompany: boolean;
  /** The schema's path relative to the output directory, for the editor modeline. */
  readonly schemaPath: string;
  /** A note for the first comment line, e.g. where the data came from. */
  readonly source: string;
}

/** The files to write, by path relative to the output directory, in a stable order. */
export function exportOrganization(state: OrgState, options: ExportOptions): Map<string, string> {
  const files = new Map<string, string>();
  const header = (depth: number, what: string) =>
    `# yaml-language-server: $schema=${'../'.repeat(depth)}${options.schemaPath}\n# ${what}, exported by roster from ${options.source}.\n`;

  files.set('organization.yaml', header(0, 'The organization') + yaml({ organization: { key: state.organization.key, name: state.organization.name } }));
  files.set('companies.yaml', header(0, 'Companies') + yaml({ companies: [...state.companies].sort(byKey).map((c) => ({ key: c.key, name: c.name })) }));
  files.set(
    'roles.yaml',
    header(0, 'Custom roles (admin, editor and viewer are predefined)') +
      yaml({
        roles: [...state.roles].sort(byKey).map((r) => ({
          key: r.key,
          name: r.name,
          ...(r.description !== null ? { description: r.description } : {}),
          permissions: [...r.permissions].sort(compareStrings),
        })),
      }),
  );
  const users = sortedBy(state.users, (u) => emailKey(u.email));
  const entry = (u: OrgState['users'][number]) => ({
    email: u.email,
    firstName: u.firstName,
    lastName: u.lastName,
    role: u.role,
    company: u.company,
    ...(u.active ? {} : { active: false }),
  });
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
