/**
 * Help texts, rendered by yargs from the definition in definition.ts and wrapped to the terminal: roster's own
 * help (every command), and each command's (usage, what it does, options by group, examples, environment).
 */
import { PERMISSIONS } from '../model/permissions.ts';
import { COMMANDS, COMMON_OPTIONS, GENERAL_NOTES, TOP_LEVEL_OPTIONS, commandSpec, wrapUsage, type CommandName, type OptionSpec } from './definition.ts';

/** The width help is wrapped to: the terminal's, within reason, or 80 columns when not on a terminal. */
export function helpWidth(columns: number | undefined): number {
  return columns === undefined || columns < 40 ? 80 : Math.min(columns, 120);
}

/** roster's help (no command), or a command's. */
export async function renderHelp(command: CommandName | undefined, width: number): Promise<string> {
  const { default: yargs } = await import('yargs');
  const parser = yargs([]).scriptName('roster').locale('en').wrap(width).version(false).help(false);
  if (command === undefined) {
    parser.usage(`roster — manage a platform's users, roles and companies as code.\n\nusage: roster <command> [options] [PATH...]`);
    for (const spec of COMMANDS) parser.command(spec.args ? `${spec.name} ${spec.args}` : spec.name, spec.summary);
    parser.options(helpOptions(TOP_LEVEL_OPTIONS, 'Options:'));
    parser.epilogue([...GENERAL_NOTES, `Permissions: ${PERMISSIONS.join(', ')}.`, '', environmentHelp()].join('\n'));
  } else {
    const spec = commandSpec(command);
    parser.usage(`${wrapUsage(spec, width, `usage: roster ${spec.name}`)}\n\n${spec.description}`);
    parser.options(helpOptions([...spec.options, ...COMMON_OPTIONS], 'Options:'));
    const examples = spec.examples.map(([line, what]) => `  ${line}\n      ${what}`).join('\n');
    parser.epilogue(`Example${spec.examples.length === 1 ? '' : 's'}:\n${examples}`);
  }
  return `${(await parser.getHelp()).trimEnd()}\n`;
}

/** The options as yargs shows them: no types (they add nothing here), choices and defaults kept, environment named. */
function helpOptions(options: readonly OptionSpec[], fallbackGroup: string): Record<string, object> {
  return Object.fromEntries(
    options.map((option) => {
      const variable = option.env ?? option.envNote;
      const describe = `${option.describe}${variable ? ` ($${variable})` : ''}`;
      return [
        option.name,
        {
          alias: option.alias,
          describe,
          choices: option.choices,
          default: option.default,
          group: option.group ?? fallbackGroup,
        },
      ];
    }),
  );
}

/** The environment variables roster reads, from the options that read one and the rest. */
function environmentHelp(): string {
  const seen = new Map<string, string>();
  for (const spec of COMMANDS) {
    for (const option of spec.options) {
      const variable = option.env ?? option.envNote;
      if (variable && !seen.has(variable)) seen.set(variable, `--${option.name}`);
    }
  }
  const rows = [...[...seen].map(([variable, option]) => [variable, `as ${option}, when it is not given`] as const), ...OTHER_ENVIRONMENT];
  return ['Environment:', ...rows.map(([name, what]) => `  ${name.padEnd(26)} ${what}`)].join('\n');
}

const OTHER_ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['ROSTER_PLAN_KEY', 'key authenticating plan files (plan, apply, show)'],
  ['NO_COLOR / FORCE_COLOR', 'never / always colour the output'],
  ['ROSTER_CACHE=off', 'no cache in .roster/cache'],
  ['ROSTER_TIMINGS=1', 'end with phase timings and round trips'],
  ['CI', 'no status line or prompt; no embedded database'],
];
