/**
 * The one description of roster's command line: every command, its arguments, options, environment variables and
 * examples. Parsing (parse.ts, through yargs), help (help.ts), shell completion (commands/completion.ts) and the
 * README's synopsis (a test compares them) are all derived from it. A new flag is one entry here, plus its use in
 * main.ts. Plain data: loading it costs nothing, so `--version` and completion stay fast.
 */

export type CommandName = 'validate' | 'plan' | 'apply' | 'show' | 'drift' | 'export' | 'access' | 'history' | 'diff' | 'migrate' | 'db' | 'completion';

/** What a shell should offer for a value: file names, directory names, fixed words, or nothing (free text). */
export type Completion = 'file' | 'directory' | 'none' | readonly string[];

export interface OptionSpec {
  /** The long name, without dashes: `--format` is 'format'. */
  readonly name: string;
  /** A one-letter alias: `-y`. */
  readonly alias?: string;
  readonly type: 'string' | 'boolean';
  /** The placeholder shown for the value in usage and help: FILE, N|P%. Defaults to the choices. */
  readonly value?: string;
  /** The only values allowed (checked, offered by completion, listed in help). */
  readonly choices?: readonly string[];
  readonly default?: string;
  readonly describe: string;
  /** An environment variable the option is read from when the command line does not give it. */
  readonly env?: string;
  /** An environment variable the command itself reads as this option's default (described, not applied here). */
  readonly envNote?: string;
  /** What completion offers for the value (default: file names for strings). */
  readonly complete?: Completion;
  /** Options that appear together in the usage line as alternatives: `[--database-url URL | --embedded]`. */
  readonly orWith?: string;
  /** Required by the command: shown without brackets in the usage line. */
  readonly required?: boolean;
  /** Shown in the usage line as depending on another option: `[--grant-to ROLE [--read-only]]`. */
  readonly within?: string;
  /** Help groups options under this heading. */
  readonly group?: string;
}

export interface CommandSpec {
  readonly name: CommandName;
  /** One line, for the list of commands. */
  readonly summary: string;
  /** What the command does, for its help. */
  readonly description: string;
  /** The arguments as the usage line shows them: `[PATH...]`, `PLAN.json`. */
  readonly args: string;
  /** What completion offers for the arguments. */
  readonly argsComplete: Completion;
  readonly options: readonly OptionSpec[];
  /** Each example: the command line, and what it does. */
  readonly examples: readonly (readonly [command: string, description: string])[];
}

const FORMATS = ['text', 'json', 'markdown'] as const;

const DATABASE: readonly OptionSpec[] = [
  {
    name: 'database-url',
    type: 'string',
    value: 'URL',
    describe: 'PostgreSQL connection string; an empty value is an error. Without it and $DATABASE_URL, an embedded PostgreSQL kept in ./.roster/ (never when $CI is set)',
    envNote: 'DATABASE_URL',
    complete: 'none',
    orWith: 'embedded',
    group: 'Database:',
  },
  {
    name: 'embedded',
    type: 'boolean',
    describe: 'use the embedded PostgreSQL on purpose, also in CI',
    envNote: 'ROSTER_EMBEDDED=1',
    group: 'Database:',
  },
];

const GUARDS: readonly OptionSpec[] = [
  {
    name: 'max-deactivations',
    type: 'string',
    value: 'N|P%',
    describe:
      'most users the plan may deactivate or take a permission from (a role losing a permission counts its holders); by default more than 5 users and either more than 25% of the active ones or more than 100 is refused',
    complete: 'none',
    group: 'Guard rails:',
  },
  {
    name: 'max-reassignments',
    type: 'string',
    value: 'N|P%',
    describe: 'most active users the plan may move to another role or company; by default more than 100 users and more than 25% of the active ones is refused',
    complete: 'none',
    group: 'Guard rails:',
  },
  {
    name: 'min-admins',
    type: 'string',
    value: 'N',
    describe: 'fewest active users who can log in (with a password) and hold manage_users the plan may leave (default 1)',
    complete: 'none',
    group: 'Guard rails:',
  },
];

const PASSWORD_FILES: OptionSpec = {
  name: 'password-files-from',
  type: 'string',
  value: 'DIR',
  describe: "initialPassword files may also be in DIR; otherwise they must be regular files inside the configuration's directory",
  envNote: 'ROSTER_PASSWORD_FILES_FROM',
  complete: 'directory',
};

const format = (describe: string): OptionSpec => ({ name: 'format', type: 'string', choices: FORMATS, default: 'text', describe });

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'validate',
    summary: 'check the YAML files offline; every problem with file:line:col',
    description:
      'Checks the configuration against the schema and across files (one organization, unique keys and emails, known roles, companies and permissions). Offline: no database needed. Exit 0 when valid, 1 otherwise.',
    args: '[PATH...]',
    argsComplete: 'file',
    options: [
      {
        name: 'format',
        type: 'string',
        choices: ['text', 'json'],
        default: 'text',
        describe:
          'text for people (problems on stderr), or json for machines: one object on stdout, {"valid": …, "diagnostics": [{file, line, col, message, related}]} (schema/validate.schema.json)',
      },
      PASSWORD_FILES,
    ],
    examples: [['roster validate examples/acme', 'check the example organization']],
  },
  {
    name: 'plan',
    summary: 'show what apply would change',
    description:
      'Compares the files with the database and prints the changes apply would make, sensitive changes first. Changes nothing. Exit 1 when the plan breaks a guard rail or cannot be applied.',
    args: '[PATH...]',
    argsComplete: 'file',
    options: [
      format('text for people, json for machines (schema/plan.schema.json), markdown for pull-request comments (ordered by risk: what blocks the plan, sensitive changes, deletions, deactivations first; below 60,000 characters)'),
      {
        name: 'out',
        type: 'string',
        value: 'FILE',
        describe: 'also write a plan file, to apply exactly this plan later: roster apply FILE (bound to the files, organization and database; with $ROSTER_PLAN_KEY, an HMAC)',
      },
      { name: 'detailed-exitcode', type: 'boolean', describe: 'exit 2 when there are changes, 0 when there are none' },
      PASSWORD_FILES,
      ...GUARDS,
      ...DATABASE,
    ],
    examples: [['roster plan examples/acme --out plan.json', 'show the plan and keep it to apply later']],
  },
  {
    name: 'apply',
    summary: 'make the database match the files, in one transaction',
    description: [
      'Shows the plan and asks for confirmation (no lock is held while you read), then takes the organization\'s lock, checks that no row the plan changes moved meanwhile (else shows the new plan and asks again), and applies it in one transaction. With --yes it plans under the lock instead. Users missing from the files are deactivated, never deleted. Without a terminal, --yes is required.',
      'Given a plan file (from plan --out), applies exactly that plan without asking: it must have been made from the same configuration files as found here, for this organization and database, and the files must still plan exactly its changes; it is refused if a row it changes moved since. A plan already applied is reported as such (exit 0). With $ROSTER_PLAN_KEY set (the same key as the plan job), the file\'s MAC is checked.',
    ].join('\n\n'),
    args: '[PATH... | PLAN.json [PATH...]]',
    argsComplete: 'file',
    options: [
      { name: 'plan', type: 'string', value: 'FILE', describe: 'apply this plan file (a first PATH ending in .json means the same; PATHs after it must be those it was planned from)' },
      { name: 'yes', alias: 'y', type: 'boolean', describe: 'apply without asking (for CI, after the plan was reviewed)' },
      { name: 'ignore-files', type: 'boolean', describe: 'apply the plan file without its configuration files (needs $ROSTER_PLAN_KEY)' },
      { name: 'actor', type: 'string', value: 'NAME', describe: 'who applies, for the audit trail (default: the OS user)', envNote: 'ROSTER_ACTOR', complete: 'none' },
      { name: 'git-commit', type: 'string', value: 'SHA', describe: "the configuration's commit, for the audit trail (default: git's HEAD)", envNote: 'GITHUB_SHA', complete: 'none' },
      {
        name: 'lock-timeout',
        type: 'string',
        value: 'SECONDS',
        describe: 'wait at most this long for another apply to the same organization (default 60)',
        env: 'ROSTER_LOCK_TIMEOUT',
        complete: 'none',
      },
      PASSWORD_FILES,
      ...GUARDS,
      ...DATABASE,
    ],
    examples: [
      ['JANE_INITIAL_PASSWORD=… roster apply examples/acme --yes --actor "$GIT_AUTHOR_EMAIL"', 'apply without asking, naming who did it'],
      ['ROSTER_PLAN_KEY=… roster apply plan.json', 'apply exactly the plan reviewed in a pull request'],
    ],
  },
  {
    name: 'show',
    summary: 'check a plan file and print it',
    description:
      'Checks a plan file written by plan --out (its checksum, or its MAC with $ROSTER_PLAN_KEY) and prints it with the same renderers as plan; says on stderr whether the configuration files here are those it was made from. Needs no database. Exit 0 when the file is intact, 1 otherwise.',
    args: 'PLAN.json',
    argsComplete: 'file',
    options: [format('text, json or markdown')],
    examples: [['ROSTER_PLAN_KEY=… roster show plan.json --format markdown', 'check a plan file and print it for a comment']],
  },
  {
    name: 'drift',
    summary: 'report what changed in the database outside the files (--write accepts it into them)',
    description:
      "Compares the database with the files and reports, classified, what was changed outside them: fields edited, users deactivated or reactivated, rows in the database but in no file, rows in the files but not in the database; and whether each changed after roster's last apply. Each user the database holds is shown with role, company and active state. A SENSITIVE section comes first: users holding a manage_* permission the files do not give them, custom roles granting one the files do not give, and users active in the database whom the files keep inactive or do not list. Exit 0 without drift, 2 with drift, 3 with sensitive drift (page on it), 1 on error. --write never writes a privilege gain without --accept-privileged: it lists what it left out and exits 3. In GitHub Actions the Markdown report is also added to the job summary.",
    args: '[PATH...]',
    argsComplete: 'file',
    options: [
      format('text, json (schema/drift.schema.json) or markdown'),
      { name: 'write', type: 'boolean', describe: 'accept the drift: edit the files to describe the database (keeping comments and formatting) and print the change as a unified diff' },
      { name: 'accept-privileged', type: 'boolean', within: 'write', describe: 'with --write: also write privilege gains (a manage_* permission the files do not give), after review' },
      { name: 'only', type: 'string', value: 'KEY,…', within: 'write', describe: 'with --write: accept only these items, keys as drift prints them (emails, role:KEY, company:KEY), comma-separated', complete: 'none' },
      PASSWORD_FILES,
      ...DATABASE,
    ],
    examples: [
      ['roster drift org/ --format markdown', 'a drift report for a pull-request comment or a job summary'],
      ['roster drift org/ --write --only alice@example.com,role:analyst', 'accept two items into the files, nothing else'],
    ],
  },
  {
    name: 'export',
    summary: 'write the organization in the database as YAML files, to adopt roster',
    description:
      'Writes the organization as stored: organization.yaml, companies.yaml, roles.yaml and users.yaml (or users/<company>.yaml), each with the schema modeline. Plan on the result shows no changes. Passwords and hashes are never exported.',
    args: '',
    argsComplete: 'none',
    options: [
      { name: 'out', type: 'string', value: 'DIR', required: true, describe: 'where to write (must hold no YAML files, unless --force)', complete: 'directory' },
      { name: 'organization', type: 'string', value: 'KEY', describe: 'which organization (needed when the database holds several)', complete: 'none' },
      { name: 'users-by-company', type: 'boolean', describe: 'one users file per company, for large organizations' },
      { name: 'force', type: 'boolean', describe: 'write even if --out already holds YAML files (overwriting those with the same names)' },
      ...DATABASE,
    ],
    examples: [['roster export --out org/ --users-by-company', 'adopt roster: the organization as files, one per company']],
  },
  {
    name: 'access',
    summary: 'the access review: who holds which permission, who last changed it, what changed outside roster',
    description:
      "The access review of an organization as stored: every active user with role, company and effective permissions (predefined roles as stored), roles × permissions and companies × roles with counts, every holder of a manage_* permission by name, and each user's last change: by which apply (actor, database role, Git commit) or outside roster (the database's change time is later than roster's last apply to the row). With PATH, also whether each row matches the files. Read-only; exit 0.",
    args: '[PATH...]',
    argsComplete: 'file',
    options: [
      { name: 'organization', type: 'string', value: 'KEY', describe: "which organization, without files (default: the files', else the only one stored)", complete: 'none' },
      {
        name: 'format',
        type: 'string',
        choices: ['text', 'markdown', 'csv', 'json', 'html'],
        default: 'text',
        describe: 'text, markdown, csv (one row per user; formula-safe), json (schema/access.schema.json) or html (one self-contained page, printable)',
      },
      { name: 'company', type: 'string', value: 'KEY', describe: 'only users of this company', complete: 'none' },
      { name: 'role', type: 'string', value: 'KEY', describe: 'only users with this role', complete: 'none' },
      { name: 'permission', type: 'string', value: 'P', describe: 'only users who hold this permission (who can P?)', complete: 'none' },
      ...DATABASE,
    ],
    examples: [
      ['roster access org/ --format html > access-review.html', 'a printable review, each row compared with the files'],
      ['roster access --organization acme --permission manage_users', 'who can manage users'],
    ],
  },
  {
    name: 'history',
    summary: 'the timeline of one user, role or company from the audit trail',
    description:
      'The timeline of one user (by email), role (role:KEY) or company (company:KEY) from the audit trail: each change with before → after, when, actor, database role and commit; renames followed through the recorded email changes; deactivations and reactivations; and changes made outside roster where the database saw them. Read-only; exit 0.',
    args: 'KEY [PATH...]',
    argsComplete: 'none',
    options: [
      { name: 'organization', type: 'string', value: 'KEY', describe: "which organization (default: the files' when PATH is given, else the only one stored)", complete: 'none' },
      format('text, json or markdown'),
      ...DATABASE,
    ],
    examples: [
      ['roster history bob@example.com', "a user's timeline, across renames"],
      ['roster history role:editor --format markdown', "a role's timeline for a ticket"],
    ],
  },
  {
    name: 'diff',
    summary: 'the difference between two configurations, without any database (configuration-only review)',
    description:
      'A configuration-only review (no database): the semantic difference between two configurations, two paths or the working tree against a Git revision (read with git show, never checked out). The base stands for the stored state: creates, edits, renames (formerEmails), removals and reactivations, with sensitive changes and guard rails judged on the files alone. For pull requests from forks and jobs without database credentials. Exit 0, or 1 when the changes break a guard rail.',
    args: '[OLD NEW | PATH...]',
    argsComplete: 'file',
    options: [
      { name: 'base', type: 'string', value: 'REF', describe: 'compare the working tree with the files of this Git revision (origin/main, HEAD~1)', complete: 'none' },
      format('text, json or markdown'),
      ...GUARDS,
    ],
    examples: [
      ['roster diff old/ new/', 'compare two configurations'],
      ['roster diff org/ --base origin/main --format markdown', 'review a pull request without database credentials'],
    ],
  },
  {
    name: 'migrate',
    summary: "create or upgrade roster's tables in the database",
    description: [
      "Creates or upgrades roster's tables. Safe to run any number of times, and by two processes at once. Run it as the owner of the schema.",
      "With --grant-to ROLE it also gives ROLE exactly what plan, apply, drift and export need (read roster's tables except password hashes, write the columns roster manages, add to the audit trail only through roster's function, never delete a user, never change the schema), so that those commands can run as ROLE. With --read-only as well, ROLE gets exactly what plan, drift and export read and nothing else: give it to pull-request and nightly jobs, and keep the writing role for the job that applies.",
    ].join('\n\n'),
    args: '',
    argsComplete: 'none',
    options: [
      { name: 'grant-to', type: 'string', value: 'ROLE', describe: 'also grant ROLE what plan, apply, drift and export need', complete: 'none' },
      { name: 'read-only', type: 'boolean', within: 'grant-to', describe: 'with --grant-to: grant only what plan, drift and export read' },
      ...DATABASE,
    ],
    examples: [
      ['DATABASE_URL=postgres://owner@db.internal/platform roster migrate --grant-to roster_runner', 'create the tables and a role to apply with'],
      ['DATABASE_URL=postgres://owner@db.internal/platform roster migrate --grant-to roster_reader --read-only', 'a role for plan and drift jobs'],
    ],
  },
  {
    name: 'db',
    summary: 'open the embedded PostgreSQL to other tools: `db serve` (a connection string) or `db shell` (psql)',
    description:
      'Opens the embedded PostgreSQL (./.roster/, the database roster uses when no DATABASE_URL is given) to other tools, for example to edit a row and then see it with roster drift. `db serve` starts it, prints a connection string on stdout and serves it until Ctrl-C (one connection at a time). `db shell` runs psql on it. Meanwhile other roster commands on it say who holds it.',
    args: 'serve|shell',
    argsComplete: ['serve', 'shell'],
    options: [{ name: 'port', type: 'string', value: 'N', describe: 'with serve: this loopback port (default: any free one)', complete: 'none' }],
    examples: [
      ['roster db shell', 'psql on the embedded database'],
      ['roster db serve --port 54329', 'serve it to other tools'],
    ],
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh or fish)',
    description:
      "Prints a completion script for roster's commands, options and their values, for `roster` on the PATH and for `npx roster` (default bash).",
    args: '[bash|zsh|fish]',
    argsComplete: ['bash', 'zsh', 'fish'],
    options: [],
    examples: [
      ['roster completion bash > ~/.local/share/bash-completion/completions/roster', 'install it for bash'],
      ['source <(npx roster completion zsh)', 'in ~/.zshrc: complete roster and npx roster in zsh'],
      ['roster completion fish > ~/.config/fish/completions/roster.fish', 'install it for fish'],
    ],
  },
];

/** Options every command has. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'help', alias: 'h', type: 'boolean', describe: 'show this help' },
  { name: 'no-color', type: 'boolean', describe: 'no colours (also when $NO_COLOR is set; $FORCE_COLOR forces them)', envNote: 'NO_COLOR' },
];

/** roster's own options, before a command. */
export const TOP_LEVEL_OPTIONS: readonly OptionSpec[] = [
  { name: 'help', alias: 'h', type: 'boolean', describe: 'show this help' },
  { name: 'version', alias: 'v', type: 'boolean', describe: "print roster's version" },
];

/** The general help's closing notes. */
export const GENERAL_NOTES = [
  'PATH is a file or a directory searched recursively for *.yaml and *.yml (default: the current directory).',
  'Exit codes: 0 success; 1 error; 2 changes found (plan --detailed-exitcode) or drift found (drift); 3 sensitive drift found (drift).',
  'Run `roster <command> --help` for its options and an example.',
];

export function commandSpec(name: CommandName): CommandSpec {
  return COMMANDS.find((command) => command.name === name)!;
}

export function isCommandName(name: string): name is CommandName {
  return COMMANDS.some((command) => command.name === name);
}

/** Every option of a command, its own and the common ones. */
export function optionsOf(command: CommandSpec): readonly OptionSpec[] {
  return [...command.options, ...COMMON_OPTIONS];
}

/** How an option is written in a usage line: `--out FILE`, `--format text|json|markdown`, `-y`-less `--yes`. */
export function optionUsage(option: OptionSpec): string {
  if (option.type === 'boolean') return `--${option.name}`;
  return `--${option.name} ${option.value ?? option.choices?.join('|') ?? 'VALUE'}`;
}

/**
 * A command's usage line, without the program's options: `roster plan [PATH...] [--format text|json|markdown] …`.
 * Alternatives share brackets (`[--database-url URL | --embedded]`), dependent options nest (`[--grant-to ROLE [--read-only]]`).
 */
export function usageLine(command: CommandSpec): string {
  const parts = [`roster ${command.name}`];
  if (command.args) parts.push(command.args);
  const shown = new Set<string>();
  for (const option of command.options) {
    if (shown.has(option.name)) continue;
    shown.add(option.name);
    if (option.within) continue; // shown inside the option it depends on
    const nested = command.options.filter((o) => o.within === option.name).map((o) => ` [${optionUsage(o)}]`).join('');
    let text = `${optionUsage(option)}${nested}`;
    if (option.orWith) {
      const other = command.options.find((o) => o.name === option.orWith);
      if (other) {
        shown.add(other.name);
        text += ` | ${optionUsage(other)}`;
      }
    }
    parts.push(option.required ? text : `[${text}]`);
  }
  return parts.join(' ');
}

/**
 * The synopsis of every command, as the README shows it: one usage line per command, the arguments aligned, wrapped
 * at `width` columns with continuation lines indented under the arguments.
 */
export function synopsis(width = 118): string {
  const indent = Math.max(...COMMANDS.map((command) => command.name.length));
  return COMMANDS.map((command) => wrapUsage(command, width, `roster ${command.name.padEnd(indent)}`)).join('\n');
}

/**
 * A command's usage line wrapped at `width` columns after `head` (default `roster <command>`), breaking only between
 * bracketed groups; continuation lines are indented under the first argument.
 */
export function wrapUsage(command: CommandSpec, width: number, head = `roster ${command.name}`): string {
  const words = tokens(usageLine(command).slice(`roster ${command.name}`.length));
  const lines: string[] = [];
  let line = head;
  for (const word of words) {
    if (line.length + 1 + word.length > width && line.length > head.length) {
      lines.push(line);
      line = ' '.repeat(head.length);
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Splits a usage line into the pieces it may break between: bracketed groups stay whole. */
function tokens(text: string): string[] {
  const result: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '[') depth++;
    if (char === ']') depth--;
    if (char === ' ' && depth === 0) {
      if (current) result.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) result.push(current);
  return result;
}
