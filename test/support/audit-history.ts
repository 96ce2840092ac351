/**
 * An organization with a history, for the access and history tests: three applies through the command line (each with
 * its actor and commit), then changes made by hand in SQL, as support staff or an attacker would: a backdoor admin
 * inserted, a user moved to another company, a user reactivated.
 */
import { sql } from '../../src/db/sql.ts';
import { runRoster, writeConfig } from './cli.ts';
import type { TestDatabase } from './database.ts';

const ORGANIZATION = { key: 'acme', name: 'Acme Inc.' };
const COMPANIES = [
  { key: 'hq', name: 'Headquarters' },
  { key: 'labs', name: 'Acme Labs' },
];
const ANALYST = { key: 'analyst', name: 'Analyst', permissions: ['view_dashboards', 'run_workflows'] };
const alice = { email: 'alice@acme.test', firstName: 'Alice', lastName: 'Admin', role: 'admin', company: 'hq' };
const bob = { email: 'bob@acme.test', firstName: 'Bob', lastName: 'Builder', role: 'analyst', company: 'hq' };
const carol = { email: 'carol@acme.test', firstName: 'Carol', lastName: 'Clerk', role: 'viewer', company: 'labs' };
/** A name a spreadsheet would run as a formula, and one with a comma and quotes. */
const dave = { email: 'dave@acme.test', firstName: '=HYPERLINK("x")', lastName: 'O"Brien, Jr', role: 'viewer', company: 'labs' };
const erin = { email: 'erin@acme.test', firstName: 'Erin', lastName: 'Editor', role: 'editor', company: 'labs' };

/** The configurations applied, in order. */
export const VERSIONS = {
  v1: { organization: ORGANIZATION, companies: COMPANIES, roles: [ANALYST], users: [alice, bob, carol, erin] },
  // bob becomes an editor, carol is renamed, dave joins
  v2: {
    organization: ORGANIZATION,
    companies: COMPANIES,
    roles: [ANALYST],
    users: [alice, { ...bob, role: 'editor' }, { ...carol, email: 'carol.new@acme.test', formerEmails: ['carol@acme.test'] }, dave, erin],
  },
  // carol leaves; erin is deactivated (and reactivated by hand in SQL later)
  v3: {
    organization: ORGANIZATION,
    companies: COMPANIES,
    roles: [ANALYST],
    users: [alice, { ...bob, role: 'editor' }, { ...carol, email: 'carol.new@acme.test', formerEmails: ['carol@acme.test'], active: false }, dave, { ...erin, active: false }],
  },
} as const;

export interface History {
  /** The directory holding the last configuration (v3). */
  readonly dir: string;
  readonly env: Record<string, string>;
}

/** Applies v1, v2, v3 (commits c1, c2, c3, actors ci-one, ci-two, ci-three), then the hand-made SQL changes. */
export async function buildHistory(db: TestDatabase): Promise<History> {
  const env = { DATABASE_URL: db.url };
  let dir = '';
  for (const [i, version] of (['v1', 'v2', 'v3'] as const).entries()) {
    dir = await writeConfig({ 'acme.yaml': VERSIONS[version] });
    const n = ['one', 'two', 'three'][i]!;
    const result = await runRoster(['apply', dir, '--yes', '--min-admins', '0', '--actor', `ci-${n}`, '--git-commit', `c${i + 1}`], { env });
    if (result.code !== 0) throw new Error(`apply ${version} failed: ${result.stderr}`);
  }
  // Later than the applies, whatever the clock's resolution.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await db.pool.query(sql.unsafe`
    insert into users (organization_id, email, first_name, last_name, role_id, company_id)
    select o.id, 'backdoor@evil.example', 'Back', 'Door', r.id, c.id
      from organizations o join roles r on r.organization_id = o.id and r.key = 'admin'
      join companies c on c.organization_id = o.id and c.key = 'hq'
     where o.key = 'acme'`);
  await db.pool.query(sql.unsafe`
    update users set company_id = (select id from companies where key = 'labs') where email = 'bob@acme.test'`);
  await db.pool.query(sql.unsafe`update users set active = true, deactivated_at = null where email = 'erin@acme.test'`);
  return { dir, env };
}
