/**
 * Reading the command line with yargs, from the definition in definition.ts. Strict: an unknown command, an unknown
 * option or a value outside an option's choices is a UserError that suggests the nearest right word. yargs is loaded
 * only for a command (or help), so `roster --version` starts without it.
 */
import { UserError } from '../errors.ts';
import { COMMANDS, TOP_LEVEL_OPTIONS, commandSpec, isCommandName, optionUsage, optionsOf, usageLine, type CommandName, type CommandSpec, type OptionSpec } from './definition.ts';
import { closest } from './suggest.ts';

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export type ParsedCommandLine =
  /** Show help: roster's (no command) or a command's. With no arguments at all the exit code is 1. */
  | { readonly kind: 'help'; readonly command?: CommandName; readonly exitCode: 0 | 1 }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly command: CommandName; readonly values: OptionValues; readonly paths: readonly string[] };

/**
 * Parses `argv` (without node and the script). Options not given on the command line are taken from their
 * environment variable (definition.ts: `env`) when it is set. Throws {@link UserError} for every mistake, with a
 * "did you mean" when a known word is near.
 */
export async function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<ParsedCommandLine> {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', exitCode: 1 };
  if (first === '--help' || first === '-h') return { kind: 'help', exitCode: 0 };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', exitCode: 0 };
    return { kind: 'help', command: knownCommand(topic), exitCode: 0 };
  }
  if (first === '--version' || first === '-v' || first === '-V') return { kind: 'version' };
  if (first.startsWith('-')) {
    const names = TOP_LEVEL_OPTIONS.map((option) => `--${option.name}`);
    throw new UserError(`unknown option '${first}'${didYouMean(first, names)}; roster's first argument is a command (see roster --help)`);
  }
  const spec = commandSpec(knownCommand(first));
  checkOptions(spec, rest);
  const { tokens, help } = takeHelp(rest);
  if (help) return { kind: 'help', command: spec.name, exitCode: 0 };
  const parsed = await parseWithYargs(spec, tokens);
  const values = { ...parsed.values };
  for (const option of spec.options) {
    if (values[option.name] === undefined && option.env !== undefined && env[option.env] !== undefined && env[option.env] !== '') {
      values[option.name] = env[option.env];
    }
    checkChoices(option, values[option.name]);
    if (option.required && values[option.name] === undefined) throw new UserError(`${spec.name} needs ${optionUsage(option)}\nusage: ${usageLine(spec)}`);
  }
  return { kind: 'run', command: spec.name, values, paths: parsed.paths };
}

function knownCommand(name: string): CommandName {
  if (isCommandName(name)) return name;
  const names = COMMANDS.map((command) => command.name);
  const hint = closest(name, names);
  throw new UserError(
    hint ? `unknown command '${name}'; did you mean '${hint}'? (see roster --help)` : `unknown command '${name}'. Commands: ${names.join(', ')} (see roster --help)`,
  );
}

/**
 * Every option word must be one of the command's: checked before yargs, so that a mistake gets a suggestion and
 * the command's usage. A string option needs its value.
 */
function checkOptions(spec: CommandSpec, tokens: readonly string[]): void {
  const options = optionsOf(spec);
  const byName = new Map(options.map((option) => [option.name, option]));
  const byAlias = new Map(options.filter((option) => option.alias).map((option) => [option.alias!, option]));
  const longNames = options.map((option) => `--${option.name}`);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') return; // the rest are paths
    if (token.startsWith('--')) {
      const equals = token.indexOf('=');
      const name = token.slice(2, equals < 0 ? undefined : equals);
      const option = byName.get(name);
      if (!option) throw new UserError(`unknown option '--${name}' for roster ${spec.name}${didYouMean(`--${name}`, longNames)}\nusage: ${usageLine(spec)}`);
      if (option.type === 'boolean' && equals >= 0) throw new UserError(`--${name} takes no value\nusage: ${usageLine(spec)}`);
      if (option.type === 'string' && equals < 0) {
        const next = tokens[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UserError(`${optionUsage(option).replace(' ', ' needs a value: ')}\nusage: ${usageLine(spec)}`);
        i++;
      }
    } else if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      const letters = [...token.slice(1)];
      letters.forEach((letter, k) => {
        const option = byAlias.get(letter);
        if (!option) throw new UserError(`unknown option '-${letter}' for roster ${spec.name}\nusage: ${usageLine(spec)}`);
        if (option.type === 'string' && k === letters.length - 1) i++;
      });
    }
  }
}

/**
 * `--help` or `-h` anywhere before `--` (once every option word is known good): yargs keeps `help` for itself, so it
 * is taken out here.
 */
function takeHelp(tokens: readonly string[]): { tokens: string[]; help: boolean } {
  const end = tokens.indexOf('--');
  let help = false;
  const kept: string[] = [];
  tokens.forEach((token, i) => {
    if (end >= 0 && i >= end) kept.push(token);
    else if (token === '--help') help = true;
    else if (/^-[a-zA-Z]+$/.test(token) && token.includes('h')) {
      help = true;
      if (token !== '-h') kept.push(token.replace(/h/g, ''));
    } else kept.push(token);
  });
  return { tokens: kept, help };
}

function checkChoices(option: OptionSpec, value: string | boolean | undefined): void {
  if (option.choices === undefined || value === undefined || option.choices.includes(String(value))) return;
  const list = option.choices.length > 1 ? `${option.choices.slice(0, -1).join(', ')} or ${option.choices.at(-1)}` : option.choices.join('');
  const hint = closest(String(value), option.choices);
  // The message lists every right value, so it needs no usage line.
  throw new UserError(`--${option.name} must be ${list}, not '${String(value)}'${hint ? `; did you mean '${hint}'?` : ''}`);
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const hint = closest(word, candidates);
  return hint ? `; did you mean '${hint}'?` : '';
}

/** yargs reads the values: kebab-case names as written, strings kept as strings (paths like `0123` too). */
async function parseWithYargs(spec: CommandSpec, tokens: readonly string[]): Promise<{ values: Record<string, string | boolean | undefined>; paths: string[] }> {
  const { default: yargs } = await import('yargs');
  const options = optionsOf(spec).filter((option) => option.name !== 'help');
  const parser = yargs([...tokens])
    .scriptName('roster')
    .locale('en')
    .parserConfiguration({
      'camel-case-expansion': false,
      'boolean-negation': false,
      'duplicate-arguments-array': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'strip-aliased': true,
      'dot-notation': false,
    })
    .options(Object.fromEntries(options.map((option) => [option.name, { type: option.type, alias: option.alias, default: option.default }])))
    .strictOptions()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message, error) => {
      // checkOptions has already caught what people get wrong; this is the parser's own last word.
      throw error ?? new UserError(`${message.charAt(0).toLowerCase()}${message.slice(1)}\nusage: ${usageLine(spec)}`);
    });
  const argv = parser.parseSync();
  const values: Record<string, string | boolean | undefined> = {};
  for (const option of options) {
    const value: unknown = argv[option.name];
    values[option.name] = typeof value === 'string' || typeof value === 'boolean' ? value : undefined;
  }
  return { values, paths: argv._.map(String) };
}
