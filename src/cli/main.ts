/**
 * roster's command line: parses arguments, runs a command, and is the only place that turns errors into
 * exit codes and messages (0 success, 1 error, 2 changes found by `plan --detailed-exitcode`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, formatDiagnostic, RosterError, UserError } from '../errors.ts';
import { redactSecrets, rootMessage } from '../db/redact.ts';
import { escapeLines } from '../render/escape.ts';
import { ROSTER_VERSION } from '../version.ts';
import type { PlanFormat } from './commands/plan.ts';
import { databaseUrl } from './context.ts';
import { errorAnnotations, inGitHubActions } from './github.ts';
import { HELP, usageOf, type CommandName } from './help.ts';
import { guardLimits, lockTimeoutMs } from './limits.ts';
import { createProgress } from './progress.ts';
import { createTimings } from './timings.ts';
import type { CliIo } from './io.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

const DATABASE: Options = { 'database-url': { type: 'string' }, embedded: { type: 'boolean' } };
const GUARDS: Options = { 'max-deactivations': { type: 'string' }, 'max-reassignments': { type: 'string' }, 'min-admins': { type: 'string' } };
const COMMON: Options = { help: { type: 'boolean', short: 'h' }, 'no-color': { type: 'boolean' } };
/** For the commands that read the configuration: where password files may live besides it. */
const PASSWORD_FILES: Options = { 'password-files-from': { type: 'string' } };

const COMMAND_OPTIONS: Record<CommandName, Options> = {
  validate: { ...COMMON, ...PASSWORD_FILES, format: { type: 'string', default: 'text' } },
  plan: {
    ...COMMON,
    ...PASSWORD_FILES,
    ...DATABASE,
    ...GUARDS,
    format: { type: 'string', default: 'text' },
    out: { type: 'string' },
    'detailed-exitcode': { type: 'boolean' },
  },
  apply: {
    ...COMMON,
    ...PASSWORD_FILES,
    ...DATABASE,
    ...GUARDS,
    plan: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    actor: { type: 'string' },
    'git-commit': { type: 'string' },
    'lock-timeout': { type: 'string' },
    'ignore-files': { type: 'boolean' },
  },
  show: { ...COMMON, format: { type: 'string', default: 'text' } },
  migrate: { ...COMMON, ...DATABASE, 'grant-to': { type: 'string' }, 'read-only': { type: 'boolean' } },
  drift: { ...COMMON, ...PASSWORD_FILES, ...DATABASE, format: { type: 'string', default: 'text' }, write: { type: 'boolean' } },
  export: {
    ...COMMON,
    ...DATABASE,
    out: { type: 'string' },
    organization: { type: 'string' },
    'users-by-company': { type: 'boolean' },
    force: { type: 'boolean' },
  },
  completion: { ...COMMON },
  db: { ...COMMON, port: { type: 'string' } },
  access: {
    ...COMMON,
    ...DATABASE,
    organization: { type: 'string' },
    format: { type: 'string', default: 'text' },
    company: { type: 'string' },
    role: { type: 'string' },
    permission: { type: 'string' },
  },
  history: { ...COMMON, ...DATABASE, organization: { type: 'string' }, format: { type: 'string', default: 'text' } },
  diff: { ...COMMON, ...GUARDS, base: { type: 'string' }, format: { type: 'string', default: 'text' } },
};

/** Every command's long flags, for shell completion. */
function completionFlags(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(COMMAND_OPTIONS).map(([name, options]) => [name, Object.keys(options).map((o) => `--${o}`)]));
}

/** Runs roster with `argv` (without node and the script) and returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const progress = createProgress(io);
  // Output clears the status line first, so a message never runs into it.
  const timed = { ...io, stdout: progress.wrap(io.stdout), stderr: progress.wrap(io.stderr), timings: createTimings(io), progress };
  try {
    return await dispatch(argv, timed);
  } catch (error) {
    return reportError(error, timed);
  } finally {
    timed.timings.report();
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP.general);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${ROSTER_VERSION}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMAND_OPTIONS, name)) {
    throw new UserError(`unknown command '${name}'. Commands: ${Object.keys(COMMAND_OPTIONS).join(', ')} (see roster --help)`);
  }
  const command = name as CommandName;
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: COMMAND_OPTIONS[command], allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError(`${argumentMessage((error as Error).message)}\n${usageOf(command)}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    io.stdout.write(HELP[command]);
    return 0;
  }
  const flagEnv = {
    ...(values['no-color'] ? { NO_COLOR: '1' } : {}),
    ...(values.embedded ? { ROSTER_EMBEDDED: '1' } : {}),
    ...(typeof values['password-files-from'] === 'string' ? { ROSTER_PASSWORD_FILES_FROM: values['password-files-from'] } : {}),
  };
  const cliIo = Object.keys(flagEnv).length > 0 ? { ...io, env: { ...io.env, ...flagEnv } } : io;
  const paths = parsed.positionals;
  const url = values['database-url'] as string | undefined;
  // Which database, decided before any work: an empty DATABASE_URL in CI must stop roster before it reads a file.
  if (Object.hasOwn(COMMAND_OPTIONS[command], 'database-url')) databaseUrl(url, cliIo);
  const limits = () =>
    guardLimits({
      maxDeactivations: values['max-deactivations'] as string | undefined,
      maxReassignments: values['max-reassignments'] as string | undefined,
      minAdmins: values['min-admins'] as string | undefined,
    });
  switch (command) {
    // Each command is loaded when it runs, so a command pays only for the libraries it uses.
    case 'validate': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json') throw new UserError(`--format must be text or json, not '${format}'`);
      const { validateCommand } = await import('./commands/validate.ts');
      return validateCommand({ paths, format, io: cliIo });
    }
    case 'plan': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw new UserError(`--format must be text, json or markdown, not '${format}'`);
      const { planCommand } = await import('./commands/plan.ts');
      return planCommand({
        paths,
        databaseUrl: url,
        format: format as PlanFormat,
        out: values.out as string | undefined,
        detailedExitCode: values['detailed-exitcode'] === true,
        limits: limits(),
        io: cliIo,
      });
    }
    case 'apply': {
      // `roster apply plan.json` is short for `roster apply --plan plan.json`.
      let planFile = values.plan as string | undefined;
      if (planFile === undefined && paths.length === 1 && /\.json$/i.test(paths[0]!)) planFile = paths[0];
      if (planFile !== undefined && paths.length > 0 && paths[0] !== planFile) {
        throw new UserError(`apply takes either configuration paths or a plan file, not both\n${usageOf('apply')}`);
      }
      if (planFile === undefined && values['ignore-files'] === true) {
        throw new UserError(`--ignore-files applies to a plan file only\n${usageOf('apply')}`);
      }
      const { applyCommand } = await import('./commands/apply.ts');
      return applyCommand({
        paths: planFile === undefined ? paths : [],
        planFile,
        ignoreFiles: values['ignore-files'] === true,
        limits: limits(),
        lockTimeoutMs: lockTimeoutMs(values['lock-timeout'] as string | undefined),
        databaseUrl: url,
        yes: values.yes === true,
        actor: values.actor as string | undefined,
        gitCommit: values['git-commit'] as string | undefined,
        io: cliIo,
      });
    }
    case 'show': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw new UserError(`--format must be text, json or markdown, not '${format}'`);
      if (paths.length !== 1) throw new UserError(`show takes one plan file\n${usageOf('show')}`);
      const { showCommand } = await import('./commands/show.ts');
      return showCommand({ planFile: paths[0]!, format, io: cliIo });
    }
    case 'migrate':
      if (paths.length > 0) throw new UserError(`migrate takes no paths\n${usageOf('migrate')}`);
      return (await import('./commands/migrate.ts')).migrateCommand({
        databaseUrl: url,
        grantTo: values['grant-to'] as string | undefined,
        readOnly: values['read-only'] === true,
        io: cliIo,
      });
    case 'drift': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw new UserError(`--format must be text, json or markdown, not '${format}'`);
      const { driftCommand } = await import('./commands/drift.ts');
      return driftCommand({ paths, databaseUrl: url, format, write: values.write === true, io: cliIo });
    }
    case 'export': {
      if (values.out === undefined) throw new UserError(`export needs --out DIR\n${usageOf('export')}`);
      if (paths.length > 0) throw new UserError(`export takes no paths\n${usageOf('export')}`);
      const { exportCommand } = await import('./commands/export.ts');
      return exportCommand({
        out: values.out as string,
        organization: values.organization as string | undefined,
        usersByCompany: values['users-by-company'] === true,
        force: values.force === true,
        databaseUrl: url,
        io: cliIo,
      });
    }
    case 'db': {
      const [action, ...extra] = paths;
      if ((action !== 'serve' && action !== 'shell') || extra.length > 0) throw new UserError(usageOf('db'));
      const port = values.port as string | undefined;
      if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
        throw new UserError(`--port takes a port number from 1 to 65535, not '${port}'`);
      }
      return (await import('./commands/db.ts')).dbCommand({ action, port: port === undefined ? undefined : Number(port), io: cliIo });
    }
    case 'access': {
      const format = values.format as string;
      const { accessCommand, ACCESS_FORMATS } = await import('./commands/access.ts');
      if (!(ACCESS_FORMATS as readonly string[]).includes(format)) throw new UserError(`--format must be ${ACCESS_FORMATS.join(', ')}, not '${format}'`);
      return accessCommand({
        paths,
        organization: values.organization as string | undefined,
        format: format as (typeof ACCESS_FORMATS)[number],
        company: values.company as string | undefined,
        role: values.role as string | undefined,
        permission: values.permission as string | undefined,
        databaseUrl: url,
        io: cliIo,
      });
    }
    case 'history': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw new UserError(`--format must be text, json or markdown, not '${format}'`);
      const [key, ...configPaths] = paths;
      if (key === undefined) throw new UserError(`history needs the user's email, role:KEY or company:KEY\n${usageOf('history')}`);
      const { historyCommand } = await import('./commands/history.ts');
      return historyCommand({ key, paths: configPaths, organization: values.organization as string | undefined, format, databaseUrl: url, io: cliIo });
    }
    case 'diff': {
      const format = values.format as string;
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw new UserError(`--format must be text, json or markdown, not '${format}'`);
      const { diffCommand } = await import('./commands/diff.ts');
      return diffCommand({ paths, base: values.base as string | undefined, format, limits: limits(), io: cliIo });
    }
    case 'completion':
      if (paths.length > 1) throw new UserError(usageOf('completion'));
      return (await import('./commands/completion.ts')).completionCommand({ shell: paths[0], flags: completionFlags(), io: cliIo });
    default:
      return assertNever(command);
  }
}

/** node:util's parseArgs message, in roster's voice: lower case, without its advice on positionals. */
function argumentMessage(message: string): string {
  const short = message
    .replace(/\. To specify a positional.*$/s, '')
    .replace(/^Option '(--[^ ']+) <value>' argument missing$/, "option '$1' needs a value");
  return short.charAt(0).toLowerCase() + short.slice(1);
}

/** How many configuration problems are printed, and how many become GitHub annotations (it shows 50 a job). */
const DIAGNOSTICS_SHOWN = 1000;
const ANNOTATIONS_SHOWN = 50;

/** Prints an error the way its kind deserves and returns exit code 1. */
function reportError(error: unknown, io: CliIo): number {
  if (error instanceof ConfigError) {
    const all = error.diagnostics;
    // A broken generated file can hold hundreds of thousands of problems: the first ones are what to fix.
    const shown = all.slice(0, DIAGNOSTICS_SHOWN);
    if (inGitHubActions(io)) io.stdout.write(errorAnnotations(shown.slice(0, ANNOTATIONS_SHOWN), { cwd: io.cwd, env: io.env }));
    io.stderr.write(shown.map((diagnostic) => `${formatDiagnostic(diagnostic)}\n`).join(''));
    if (all.length > shown.length) io.stderr.write(`… and ${all.length - shown.length} more problems not shown; fix the ones above first.\n`);
    io.stderr.write(`\n${all.length} problem${all.length === 1 ? '' : 's'} found; nothing was changed.\n`);
    return 1;
  }
  if (error instanceof UserError) {
    // A message may quote the database or a file: no raw control character (render/escape.ts). Database details in
    // it come through rootMessage, already without credentials.
    io.stderr.write(`error: ${escapeLines(error.message)}\n`);
    return 1;
  }
  // Not the person's mistake: say so, with enough to report it, but no values (they could be secrets).
  const message = escapeLines(error instanceof RosterError ? redactSecrets(error.message) : rootMessage(error));
  io.stderr.write(`internal error: ${message}\nNothing was changed. This is a bug in roster ${ROSTER_VERSION}; please report it.\n`);
  if (io.env.ROSTER_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack.split('\n').slice(1).join('\n')}\n`);
  return 1;
}

function assertNever(value: never): never {
  throw new Error(`unhandled command ${String(value)}`);
}
