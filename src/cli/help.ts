/** Help texts, one per command, each with an example. */
import { PERMISSIONS } from '../model/permissions.ts';

export type CommandName = 'validate' | 'plan' | 'apply' | 'show' | 'migrate' | 'drift' | 'export' | 'completion' | 'db' | 'access' | 'history' | 'diff';

const DATABASE_HELP = `  --database-url URL   PostgreSQL connection string (default: $DATABASE_URL; an empty value is an error;
                       if neither is set, an embedded PostgreSQL kept in ./.roster/, never when $CI is set)
  --embedded           use the embedded PostgreSQL on purpose, also in CI (or ROSTER_EMBEDDED=1)`;

const GUARD_HELP = `  --max-deactivations N|P%
                       most users the plan may deactivate or take a permission from (a role losing a
                       permission counts its holders); by default more than 5 users and either more than
                       25% of the active ones or more than 100 is refused
  --max-reassignments N|P%
                       most active users the plan may move to another role or company; by default more
                       than 100 users and more than 25% of the active ones is refused
  --min-admins N       fewest active users who can log in (with a password) and hold manage_users the
                       plan may leave (default 1)`;

const PASSWORD_FILES_HELP = `  --password-files-from DIR
                       initialPassword files may also be in DIR (or $ROSTER_PASSWORD_FILES_FROM); otherwise
                       they must be regular files inside the configuration's directory`;

const USAGE: Record<CommandName, string> = {
  validate: 'usage: roster validate [PATH...] [--format text|json] [--password-files-from DIR]',
  plan: 'usage: roster plan [PATH...] [--format text|json|markdown] [--out FILE] [--detailed-exitcode] [--password-files-from DIR] [--max-deactivations N|P%] [--max-reassignments N|P%] [--min-admins N] [--database-url URL | --embedded]',
  apply:
    'usage: roster apply [PATH... | PLAN.json | --plan PLAN.json] [--yes] [--ignore-files] [--actor NAME] [--git-commit SHA] [--lock-timeout SECONDS] [--password-files-from DIR] [--max-deactivations N|P%] [--max-reassignments N|P%] [--min-admins N] [--database-url URL | --embedded]',
  migrate: 'usage: roster migrate [--grant-to ROLE [--read-only]] [--database-url URL | --embedded]',
  drift: 'usage: roster drift [PATH...] [--format text|json|markdown] [--write] [--password-files-from DIR] [--database-url URL | --embedded]',
  export: 'usage: roster export --out DIR [--organization KEY] [--users-by-company] [--force] [--database-url URL | --embedded]',
  show: 'usage: roster show PLAN.json [--format text|json|markdown]',
  completion: 'usage: roster completion [bash|zsh|fish]',
  db: 'usage: roster db serve [--port N] | roster db shell',
  access:
    'usage: roster access [PATH...] [--organization KEY] [--format text|markdown|csv|json|html] [--company KEY] [--role KEY] [--permission P] [--database-url URL | --embedded]',
  history: 'usage: roster history KEY [PATH...] [--organization KEY] [--format text|json|markdown] [--database-url URL | --embedded]',
  diff: 'usage: roster diff OLD NEW | roster diff [PATH...] --base REF [--format text|json|markdown] [--max-deactivations N|P%] [--max-reassignments N|P%] [--min-admins N]',
};

export function usageOf(command: CommandName): string {
  return USAGE[command];
}

export const HELP: Record<CommandName | 'general', string> = {
  general: `roster ${''}— manage a platform's users, roles and companies as code.

usage: roster <command> [options] [PATH...]

Commands:
  validate   check the YAML files offline; every problem with file:line:col
  plan       show what apply would change
  apply      make the database match the files, in one transaction
  show       check a plan file and print it
  drift      report what changed in the database outside the files (--write accepts it into them)
  export     write the organization in the database as YAML files, to adopt roster
  migrate    create or upgrade roster's tables in the database
  completion print a shell completion script
  db         open the embedded PostgreSQL to other tools: \`db serve\` (a connection string) or \`db shell\` (psql)
  access     the access review: who holds which permission, who last changed it, what changed outside roster
  history    the timeline of one user, role or company from the audit trail
  diff       the difference between two configurations, without any database (configuration-only review)

PATH is a file or a directory searched recursively for *.yaml and *.yml (default: the current directory).
Run \`roster <command> --help\` for a command's options and an example.

Exit codes: 0 success (plan --detailed-exitcode: no changes), 1 error, 2 plan --detailed-exitcode found changes.
Permissions: ${PERMISSIONS.join(', ')}.
`,
  validate: `${USAGE.validate}

Checks the configuration against the schema and across files (one organization, unique keys and emails,
known roles, companies and permissions). Offline: no database needed. Exit 0 when valid, 1 otherwise.

Options:
  --format FORMAT      text for people (default: problems on stderr), or json for machines: one object on
                       stdout, {"valid": …, "diagnostics": [{file, line, col, message, related}]}
                       (schema/validate.schema.json)
${PASSWORD_FILES_HELP}

Example:
  roster validate examples/acme
`,
  plan: `${USAGE.plan}

Compares the files with the database and prints the changes apply would make, sensitive changes first.
Changes nothing. Exit 1 when the plan breaks a guard rail or cannot be applied.

  --format FORMAT      text for people (default), json for machines (schema/plan.schema.json),
                       markdown for pull-request comments (ordered by risk: what blocks the plan, sensitive
                       changes, deletions, deactivations first; below 60,000 characters)
  --out FILE           also write a plan file, to apply exactly this plan later: roster apply FILE
                       (bound to the files, organization and database; with $ROSTER_PLAN_KEY, an HMAC)
  --detailed-exitcode  exit 2 when there are changes, 0 when there are none
${PASSWORD_FILES_HELP}
${GUARD_HELP}
${DATABASE_HELP}

Example:
  roster plan examples/acme --out plan.json
`,
  apply: `${USAGE.apply}

Shows the plan and asks for confirmation (no lock is held while you read), then takes the organization's
lock, checks that no row the plan changes moved meanwhile (else shows the new plan and asks again), and
applies it in one transaction. With --yes it plans under the lock instead. Users missing from the files are
deactivated, never deleted. Without a terminal, --yes is required.
Given a plan file (from plan --out), applies exactly that plan without asking: it must have been made from
the same configuration files as found here, for this organization and database, and the files must still
plan exactly its changes; it is refused if a row it changes moved since. A plan already applied is reported
as such (exit 0). With $ROSTER_PLAN_KEY set (the same key as the plan job), the file's MAC is checked.

  --plan FILE          apply this plan file (a single PATH ending in .json means the same)
  --ignore-files       apply the plan file without its configuration files (needs $ROSTER_PLAN_KEY)
  -y, --yes            apply without asking (for CI, after the plan was reviewed)
  --actor NAME         who applies, for the audit trail (default: $ROSTER_ACTOR, else the OS user)
  --git-commit SHA     the configuration's commit, for the audit trail (default: $GITHUB_SHA, else git)
  --lock-timeout S     wait at most S seconds for another apply to the same organization (default 60)
${PASSWORD_FILES_HELP}
${GUARD_HELP}
${DATABASE_HELP}

Examples:
  JANE_INITIAL_PASSWORD=… roster apply examples/acme --yes --actor "$GIT_AUTHOR_EMAIL"
  ROSTER_PLAN_KEY=… roster apply plan.json
`,
  drift: `${USAGE.drift}

Compares the database with the files and reports, classified, what was changed outside them: fields edited,
users deactivated or reactivated, rows in the database but in no file, rows in the files but not in the
database; and whether each changed after roster's last apply. Exit 0 without drift, 2 with drift, 1 on error.
In GitHub Actions the Markdown report is also added to the job summary.

  --format FORMAT      text (default), json (schema/drift.schema.json) or markdown
  --write              accept the drift: edit the files to describe the database (keeping comments and
                       formatting) and print the change as a unified diff
${PASSWORD_FILES_HELP}
${DATABASE_HELP}

Example:
  roster drift org/ --format markdown
`,
  export: `${USAGE.export}

Writes the organization as stored: organization.yaml, companies.yaml, roles.yaml and users.yaml (or
users/<company>.yaml), each with the schema modeline. Plan on the result shows no changes. Passwords and
hashes are never exported.

  --out DIR            where to write (must hold no YAML files, unless --force)
  --organization KEY   which organization (needed when the database holds several)
  --users-by-company   one users file per company, for large organizations
${DATABASE_HELP}

Example:
  roster export --out org/ --users-by-company
`,
  show: `${USAGE.show}

Checks a plan file written by plan --out (its checksum, or its MAC with $ROSTER_PLAN_KEY) and prints it
with the same renderers as plan; says on stderr whether the configuration files here are those it was made
from. Needs no database. Exit 0 when the file is intact, 1 otherwise.

  --format FORMAT      text (default), json or markdown

Example:
  ROSTER_PLAN_KEY=… roster show plan.json --format markdown
`,
  db: `${USAGE.db}

Opens the embedded PostgreSQL (./.roster/, the database roster uses when no DATABASE_URL is given) to other
tools, for example to edit a row and then see it with roster drift. \`db serve\` starts it, prints a connection
string on stdout and serves it until Ctrl-C (one connection at a time). \`db shell\` runs psql on it. Meanwhile
other roster commands on it say who holds it.

  --port N             serve on this loopback port (default: any free one)

Example:
  roster db shell
  roster db serve --port 54329
`,
  completion: `${USAGE.completion}

Prints a completion script for roster's commands and flags (default bash).

Example:
  roster completion bash > /etc/bash_completion.d/roster
`,
  access: `${USAGE.access}

The access review of an organization as stored: every active user with role, company and effective
permissions (predefined roles as stored), roles × permissions and companies × roles with counts, every holder
of a manage_* permission by name, and each user's last change: by which apply (actor, database role, Git
commit) or outside roster (when the database's change time is later than roster's last apply to the row).
With PATH, also whether each row matches the files. Read-only; exit 0.

  --organization KEY   which organization, without files (default: the files', else the only one stored)
  --format FORMAT      text (default), markdown, csv (one row per user; formula-safe), json
                       (schema/access.schema.json) or html (one self-contained page, printable)
  --company KEY        only users of this company
  --role KEY           only users with this role
  --permission P       only users who hold this permission (who can P?)
${DATABASE_HELP}

Examples:
  roster access org/ --format html > access-review.html
  roster access --organization acme --permission manage_users
`,
  history: `${USAGE.history}

The timeline of one user (by email), role (role:KEY) or company (company:KEY) from the audit trail: each change
with before → after, when, actor, database role and commit; renames followed through the recorded email
changes; deactivations and reactivations; and changes made outside roster where the database saw them.
Read-only; exit 0.

  --organization KEY   which organization (default: the files' when PATH is given, else the only one stored)
  --format FORMAT      text (default), json or markdown
${DATABASE_HELP}

Examples:
  roster history bob@example.com
  roster history role:editor --format markdown
`,
  diff: `${USAGE.diff}

A configuration-only review (no database): the semantic difference between two configurations, either two
paths or the working tree against a Git revision (read with git show, never checked out). The base stands for
the stored state: creates, edits, renames (formerEmails), removals and reactivations, with sensitive changes
and guard rails judged on the files alone. For pull requests from forks and jobs without database credentials.
Exit 0, or 1 when the changes break a guard rail.

  --base REF           compare the working tree with the files of this Git revision (origin/main, HEAD~1)
  --format FORMAT      text (default), json or markdown
${GUARD_HELP}

Examples:
  roster diff old/ new/
  roster diff org/ --base origin/main --format markdown
`,
  migrate: `${USAGE.migrate}

Creates or upgrades roster's tables. Safe to run any number of times, and by two processes at once.
Run it as the owner of the schema. With --grant-to ROLE it also gives ROLE exactly what plan, apply, drift and
export need (read roster's tables except password hashes, write the columns roster manages, add to the audit
trail only through roster's function, never delete a user, never change the schema), so that those commands can
run as ROLE. With --read-only as well, ROLE gets exactly what plan, drift and export read and nothing else: give
it to pull-request and nightly jobs, and keep the writing role for the job that applies.

${DATABASE_HELP}

Example:
  DATABASE_URL=postgres://owner@db.internal/platform roster migrate --grant-to roster_runner
  DATABASE_URL=postgres://owner@db.internal/platform roster migrate --grant-to roster_reader --read-only
`,
};
