/**
 * roster's command line: reads the arguments (parse.ts, from the one definition in definition.ts), runs a command,
 * and is the only place that turns errors into exit codes and messages (0 success, 1 error, 2 changes found by
 * `plan --detailed-exitcode` or drift found by `drift`).
 */
import { ConfigError, formatDiagnostic, RosterError, UserError } from '../errors.ts';
import { redactSecrets, rootMessage } from '../db/redact.ts';
import { escapeLines } from '../render/escape.ts';
import { ROSTER_VERSION } from '../version.ts';
import type { AccessFormat } from './commands/access.ts';
import type { PlanFormat } from './commands/plan.ts';
import { databaseUrl } from './context.ts';
import { commandSpec, usageLine, type CommandName } from './definition.ts';
import { errorAnnotations, inGitHubActions } from './github.ts';
import { guardLimits, lockTimeoutMs } from './limits.ts';
import { parseCommandLine, type OptionValues } from './parse.ts';
import { createProgress } from './progress.ts';
import { createTimings } from './timings.ts';
import type { CliIo } from './io.ts';

/** Runs roster with `argv` (without node and the script) and returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // Help is wrapped to the terminal's width, read before the streams are wrapped for the status line.
  const columns = io.stdout.isTTY ? (io.stdout as { readonly columns?: number }).columns : undefined;
  const progress = createProgress(io);
  // Output clears the status line first, so a message never runs into it.
  const timed = { ...io, stdout: progress.wrap(io.stdout), stderr: progress.wrap(io.stderr), timings: createTimings(io), progress };
  try {
    return await dispatch(argv, timed, columns);
  } catch (error) {
    return reportError(error, timed);
  } finally {
    timed.timings.report();
  }
}

function usage(command: CommandName): string {
  return `usage: ${usageLine(commandSpec(command))}`;
}

async function dispatch(argv: readonly string[], io: CliIo, columns: number | undefined): Promise<number> {
  const parsed = await parseCommandLine(argv, io.env);
  if (parsed.kind === 'version') {
    io.stdout.write(`${ROSTER_VERSION}\n`);
    return 0;
  }
  if (parsed.kind === 'help') {
    const { helpWidth, renderHelp } = await import('./help.ts');
    io.stdout.write(await renderHelp(parsed.command, helpWidth(columns)));
    return parsed.exitCode;
  }
  const { command, values, paths } = parsed;
  const flagEnv = {
    ...(values['no-color'] ? { NO_COLOR: '1' } : {}),
    ...(values.embedded ? { ROSTER_EMBEDDED: '1' } : {}),
    ...(typeof values['password-files-from'] === 'string' ? { ROSTER_PASSWORD_FILES_FROM: values['password-files-from'] } : {}),
  };
  const cliIo = Object.keys(flagEnv).length > 0 ? { ...io, env: { ...io.env, ...flagEnv } } : io;
  const url = string(values, 'database-url');
  // Which database, decided before any work: an empty DATABASE_URL in CI must stop roster before it reads a file.
  if (commandSpec(command).options.some((option) => option.name === 'database-url')) databaseUrl(url, cliIo);
  const limits = () =>
    guardLimits({
      maxDeactivations: string(values, 'max-deactivations'),
      maxReassignments: string(values, 'max-reassignments'),
      minAdmins: string(values, 'min-admins'),
    });
  switch (command) {
    // Each command is loaded when it runs, so a command pays only for the libraries it uses.
    case 'validate': {
      const { validateCommand } = await import('./commands/validate.ts');
      return validateCommand({ paths, format: values.format as 'text' | 'json', io: cliIo });
    }
    case 'plan': {
      const { planCommand } = await import('./commands/plan.ts');
      return planCommand({
        paths,
        databaseUrl: url,
        format: values.format as PlanFormat,
        out: string(values, 'out'),
        detailedExitCode: values['detailed-exitcode'] === true,
        limits: limits(),
        io: cliIo,
      });
    }
    case 'apply': {
      // `roster apply plan.json` is short for `roster apply --plan plan.json`.
      // `roster apply plan.json org/` binds the plan to the configuration paths named after it.
      let planFile = string(values, 'plan');
      let configPaths = paths;
      if (planFile === undefined && paths.length >= 1 && /\.json$/i.test(paths[0]!)) {
        planFile = paths[0];
        configPaths = paths.slice(1);
      }
      if (planFile === undefined && values['ignore-files'] === true) {
        throw new UserError(`--ignore-files applies to a plan file only\n${usage('apply')}`);
      }
      const { applyCommand } = await import('./commands/apply.ts');
      return applyCommand({
        paths: configPaths,
        planFile,
        ignoreFiles: values['ignore-files'] === true,
        limits: limits(),
        lockTimeoutMs: fromOption('lock-timeout', 'ROSTER_LOCK_TIMEOUT', values, io, lockTimeoutMs),
        databaseUrl: url,
        yes: values.yes === true,
        actor: string(values, 'actor'),
        gitCommit: string(values, 'git-commit'),
        io: cliIo,
      });
    }
    case 'show': {
      if (paths.length !== 1) throw new UserError(`show takes one plan file\n${usage('show')}`);
      const { showCommand } = await import('./commands/show.ts');
      return showCommand({ planFile: paths[0]!, format: values.format as PlanFormat, io: cliIo });
    }
    case 'migrate':
      if (paths.length > 0) throw new UserError(`migrate takes no paths\n${usage('migrate')}`);
      return (await import('./commands/migrate.ts')).migrateCommand({
        databaseUrl: url,
        grantTo: string(values, 'grant-to'),
        readOnly: values['read-only'] === true,
        io: cliIo,
      });
    case 'drift': {
      const { driftCommand } = await import('./commands/drift.ts');
      const only = string(values, 'only');
      return driftCommand({
        paths,
        databaseUrl: url,
        format: values.format as PlanFormat,
        write: values.write === true,
        acceptPrivileged: values['accept-privileged'] === true,
        // Keys are comma-separated: no email roster can write into the files holds a comma.
        only: only === undefined ? null : only.split(',').map((key) => key.trim()).filter((key) => key !== ''),
        io: cliIo,
      });
    }
    case 'export': {
      if (paths.length > 0) throw new UserError(`export takes no paths\n${usage('export')}`);
      const { exportCommand } = await import('./commands/export.ts');
      return exportCommand({
        out: string(values, 'out')!,
        organization: string(values, 'organization'),
        usersByCompany: values['users-by-company'] === true,
        force: values.force === true,
        databaseUrl: url,
        io: cliIo,
      });
    }
    case 'access': {
      const { accessCommand } = await import('./commands/access.ts');
      return accessCommand({
        paths,
        organization: string(values, 'organization'),
        format: values.format as AccessFormat,
        company: string(values, 'company'),
        role: string(values, 'role'),
        permission: string(values, 'permission'),
        databaseUrl: url,
        io: cliIo,
      });
    }
    case 'history': {
      const [key, ...configPaths] = paths;
      if (key === undefined) throw new UserError(`history needs the user's email, role:KEY or company:KEY\n${usage('history')}`);
      const { historyCommand } = await import('./commands/history.ts');
      return historyCommand({ key, paths: configPaths, organization: string(values, 'organization'), format: values.format as PlanFormat, databaseUrl: url, io: cliIo });
    }
    case 'diff': {
      const { diffCommand } = await import('./commands/diff.ts');
      return diffCommand({ paths, base: string(values, 'base'), format: values.format as PlanFormat, limits: limits(), io: cliIo });
    }
    case 'db': {
      const [action, ...extra] = paths;
      if ((action !== 'serve' && action !== 'shell') || extra.length > 0) {
        throw new UserError(`db takes serve or shell${action === undefined ? '' : `, not '${[action, ...extra].join(' ')}'`}\n${usage('db')}`);
      }
      const port = string(values, 'port');
      if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
        throw new UserError(`--port takes a port number from 1 to 65535, not '${port}'`);
      }
      return (await import('./commands/db.ts')).dbCommand({ action, port: port === undefined ? undefined : Number(port), io: cliIo });
    }
    case 'completion':
      if (paths.length > 1) throw new UserError(`completion takes one shell\n${usage('completion')}`);
      return (await import('./commands/completion.ts')).completionCommand({ shell: paths[0], io: cliIo });
    default:
      return assertNever(command);
  }
}

/** An option's string value, or undefined when it was not given. */
function string(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads an option's value with `read`; when the value came from its environment variable (not the command line),
 * a mistake in it names that variable too.
 */
function fromOption<T>(name: string, variable: string, values: OptionValues, io: CliIo, read: (value: string | undefined) => T): T {
  try {
    return read(string(values, name));
  } catch (error) {
    if (error instanceof UserError && values[name] !== undefined && io.env[variable] === values[name]) {
      throw new UserError(`${error.message} (from $${variable})`);
    }
    throw error;
  }
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
    // A message may quote the database or a file: no credential, no raw control character (render/escape.ts).
    io.stderr.write(`error: ${escapeLines(redactSecrets(error.message))}\n`);
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
