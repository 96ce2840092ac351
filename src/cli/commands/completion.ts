/**
 * `roster completion [bash|zsh|fish]`: a shell completion script, written from the command line's definition
 * (definition.ts): commands, each command's options, the values an option takes (its choices, file or directory
 * names, or nothing for free text) and its arguments. It completes `roster …` and `npx roster …` alike, and runs no
 * roster process while completing.
 */
import { UserError } from '../../errors.ts';
import { COMMANDS, TOP_LEVEL_OPTIONS, optionsOf, type CommandSpec, type Completion, type OptionSpec } from '../definition.ts';
import type { CliIo } from '../io.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function completionCommand(options: { shell: string | undefined; io: CliIo }): number {
  const shell = options.shell ?? 'bash';
  let script: string;
  switch (shell) {
    case 'bash':
      script = bash();
      break;
    case 'zsh':
      script = `# roster completion for zsh, for \`roster …\` and \`npx roster …\`. Install: add this line to ~/.zshrc:\n#   source <(roster completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash()}`;
      break;
    case 'fish':
      script = fish();
      break;
    default:
      throw new UserError(`completion supports bash, zsh and fish, not '${shell}'`);
  }
  options.io.stdout.write(script);
  return 0;
}

/** What an option's value completes to: its choices, else what the definition says, else file names. */
function valueCompletion(option: OptionSpec): Completion {
  return option.choices ?? option.complete ?? 'file';
}

/** A bash `compgen` call offering a completion. */
function compgen(completion: Completion): string {
  if (completion === 'file') return 'compgen -f -- "$cur"';
  if (completion === 'directory') return 'compgen -d -- "$cur"';
  if (completion === 'none') return 'true';
  return `compgen -W "${completion.join(' ')}" -- "$cur"`;
}

function optionWords(command: CommandSpec): string {
  return optionsOf(command)
    .flatMap((option) => [`--${option.name}`, ...(option.alias ? [`-${option.alias}`] : [])])
    .join(' ');
}

function bash(): string {
  const valueCases = COMMANDS.flatMap((command) =>
    optionsOf(command)
      .filter((option) => option.type === 'string')
      .map((option) => `    "${command.name} --${option.name}") COMPREPLY=( $(${compgen(valueCompletion(option))}) ); return ;;`),
  );
  const argsMode = (completion: Completion) => (Array.isArray(completion) ? completion.join(' ') : completion);
  const commandCases = COMMANDS.map((command) => `    ${command.name}) opts="${optionWords(command)}"; args="${argsMode(command.argsComplete)}" ;;`);
  const topLevel = [...COMMANDS.map((command) => command.name), ...TOP_LEVEL_OPTIONS.map((option) => `--${option.name}`)].join(' ');
  return `# roster completion for bash, for \`roster …\` and \`npx roster …\`.
# Install: roster completion bash > ~/.local/share/bash-completion/completions/roster (and the same file as .../npx),
# or add \`source <(roster completion bash)\` to ~/.bashrc.
_roster() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first=1 command="" option="" opts="" args="" i
  # \`npx roster …\`: roster's words start one later; other npx commands are left to the shell.
  if [ "\${COMP_WORDS[0]##*/}" = npx ]; then
    if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=( $(compgen -W "roster" -- "$cur") ); return; fi
    [ "\${COMP_WORDS[1]}" = roster ] || return
    first=2
  fi
  if [ "$COMP_CWORD" -eq "$first" ]; then
    COMPREPLY=( $(compgen -W "${topLevel}" -- "$cur") )
    return
  fi
  command="\${COMP_WORDS[first]}"
  # The option whose value is being typed: \`--format <TAB>\`, or \`--format=<TAB>\` (bash splits at =).
  i=$((COMP_CWORD - 1))
  [ "\${COMP_WORDS[i]}" = "=" ] && i=$((i - 1))
  [ "$cur" = "=" ] && cur=""
  case "\${COMP_WORDS[i]}" in --*) option="\${COMP_WORDS[i]}" ;; esac
  case "$command $option" in
${valueCases.join('\n')}
  esac
  case "$command" in
${commandCases.join('\n')}
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return
  fi
  case "$args" in
    file) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    directory) COMPREPLY=( $(compgen -d -- "$cur") ) ;;
    none) COMPREPLY=() ;;
    *) COMPREPLY=( $(compgen -W "$args" -- "$cur") ) ;;
  esac
}
complete -o filenames -F _roster roster
complete -o filenames -o default -F _roster npx
`;
}

function fish(): string {
  const lines = [
    '# roster completion for fish, for `roster …` and `npx roster …`. Install: roster completion fish > ~/.config/fish/completions/roster.fish',
    '# (and the same file as npx.fish to complete `npx roster …`)',
    '# The roster command being completed: the first word after `roster` (or `npx roster`) that is not an option.',
    'function __roster_command',
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    test "$words[1]" = roster; and set -e words[1]',
    '    for word in $words',
    "        string match -q -- '-*' $word; or begin; echo $word; return; end",
    '    end',
    'end',
    'function __roster_is_roster',
    '    set -l words (commandline -opc)',
    '    test "$words[1]" != npx; or test "$words[2]" = roster',
    'end',
    'function __roster_needs_command',
    '    __roster_is_roster; or return 1',
    '    set -l command (__roster_command)',
    '    test -z "$command"',
    'end',
    'function __roster_using',
    '    __roster_is_roster; or return 1',
    '    set -l command (__roster_command)',
    '    test "$command" = $argv[1]',
    'end',
  ];
  for (const program of ['roster', 'npx']) {
    if (program === 'npx') lines.push(`complete -c npx -n 'test (count (commandline -opc)) -eq 1' -a roster -d 'manage users, roles and companies as code'`);
    for (const command of COMMANDS) lines.push(`complete -c ${program} -n __roster_needs_command -f -a ${command.name} -d ${quote(command.summary)}`);
    for (const option of TOP_LEVEL_OPTIONS) lines.push(`complete -c ${program} -n __roster_needs_command -l ${option.name}${option.alias ? ` -s ${option.alias}` : ''} -d ${quote(option.describe)}`);
    for (const command of COMMANDS) {
      const when = `-n '__roster_using ${command.name}'`;
      const args = command.argsComplete;
      if (Array.isArray(args)) lines.push(`complete -c ${program} ${when} -f -a '${args.join(' ')}'`);
      else if (args === 'none') lines.push(`complete -c ${program} ${when} -f`);
      for (const option of optionsOf(command)) {
        let value = '';
        if (option.type === 'string') {
          const completion = valueCompletion(option);
          if (Array.isArray(completion)) value = ` -x -a '${completion.join(' ')}'`;
          else if (completion === 'directory') value = ` -x -a '(__fish_complete_directories)'`;
          else if (completion === 'none') value = ' -x';
          else value = ' -r -F';
        }
        lines.push(`complete -c ${program} ${when} -l ${option.name}${option.alias ? ` -s ${option.alias}` : ''}${value} -d ${quote(option.describe.split(/[;(]/)[0]!.trim())}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
