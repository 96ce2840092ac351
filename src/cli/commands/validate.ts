/** `roster validate [PATH...]`: offline checks of the configuration. */
import type { CliIo } from '../io.ts';
import { loadConfiguration } from '../session.ts';

/** Exit 0 when the configuration is valid; a ConfigError (exit 1) lists every problem otherwise. */
export async function validateCommand(options: { paths: readonly string[]; io: CliIo }): Promise<number> {
  const { config } = await loadConfiguration(options.paths, options.io);
  const { state, fileCount } = config;
  const active = state.users.filter((u) => u.active).length;
  options.io.stderr.write(
    `Valid: ${fileCount} file${fileCount === 1 ? '' : 's'}, organization ${state.organization.key}, ` +
      `${state.companies.length} companies, ${state.roles.length} custom roles, ${state.users.length} users (${active} active).\n`,
  );
  return 0;
}
