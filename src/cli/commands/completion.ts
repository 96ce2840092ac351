/** `roster completion [bash|zsh|fish]`: a shell completion script for roster's commands and flags. */
import { UserError } from '../../errors.ts';
import type { CliIo } from '../io.ts';

/** The flags of each command, for completion (kept beside the parser's tables in main.ts by a test). */
export type CommandFlags = Readonly<Record<string, readonly string[]>>;

export function completionCommand(options: { shell: string | undefined; flags: CommandFlags; io: CliIo }): number {
  const shell = options.shell ?? 'bash';
  const commands = Object.keys(options.flags);
  let script: string;
  switch (shell) {
    case 'bash':
      script = bash(commands, options.flags);
      break;
    case 'zsh':
      script = `#compdef roster\nautoload -U +X bashcompinit && bashcompinit\n${bash(commands, options.flags)}`;
      break;
    case 'fish':
      script = fish(commands, options.flags);
      break;
    default:
      throw new UserError(`completion supports bash, zsh and fish, not '${shell}'`);
  }
  options.io.stdout.write(script);
  return 0;
}

function bash(commands: readonly string[], flags: CommandFlags): string {
  const cases = commands.map((c) => `    ${c}) opts="${flags[c]!.join(' ')}" ;;`).join('\n');
  return `# roster completion for bash. Install: roster completion bash > /etc/bash_completion.d/roster
_roster() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="\${COMP_WORDS[1]}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "$command" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _roster roster
`;
}

function fish(commands: readonly string[], flags: CommandFlags): string {
  const lines = [`# roster completion for fish. Install: roster completion fish > ~/.config/fish/completions/roster.fish`];
  lines.push(`complete -c roster -n '__fish_use_subcommand' -a '${commands.join(' ')}'`);
  for (const c of commands) {
    for (const flag of flags[c]!) lines.push(`complete -c roster -n '__fish_seen_subcommand_from ${c}' -l ${flag.replace(/^--/, '')}`);
  }
  return lines.join('\n') + '\n';
}
