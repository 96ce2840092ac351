/**
 * Loading the configuration for a command: find, read (bounded), parse or take from the cache, confine password
 * files. Imports nothing of the database, so a command that only reads files (validate) loads no database library.
 */
import { createHash } from 'node:crypto';
import type { DesiredConfig } from '../config/assemble.ts';
import { cacheEnabled, configKey, fromCachedConfig, readCache, toCachedConfig, writeCache, type CachedConfig } from '../config/cache.ts';
import { discoverFiles, displayPath } from '../config/discover.ts';
import { readConfigFiles } from '../config/read-files.ts';
import { assertPasswordFilesConfined } from '../config/password-references.ts';
import { normalizeState, type OrgState } from '../model/state.ts';
import { phase, type CliIo } from './io.ts';

/**
 * Loads and validates the configuration, from the cache when the same files were loaded by the same code before.
 * `cache: false` neither reads nor writes the cache: the files themselves are parsed, as `apply` needs (a cache is
 * never a source of truth for what is written) and as editing them needs. Returns it with its cache key.
 * Throws ConfigError, UserError.
 */
export async function loadConfiguration(
  paths: readonly string[],
  io: CliIo,
  options: { cache?: boolean } = {},
): Promise<{ config: DesiredConfig; key: string }> {
  return phase(io, 'load', async () => {
    const files = await discoverFiles({ paths, cwd: io.cwd });
    const contents = await readConfigFiles(files, io.cwd);
    const shown = files.map((file, i) => ({ shown: displayPath(file, io.cwd), content: contents[i]! }));
    const key = await configKey(shown);
    const useCache = options.cache !== false && cacheEnabled(io.env);
    if (useCache) {
      const hit = await readCache<CachedConfig>(io.cwd, 'config', key);
      const config = hit && fromCachedConfig(hit, shown);
      if (config) return { config: await confinedPasswordFiles(config, paths, io), key };
    }
    const { configFromContents } = await import('../config/load.ts');
    const config = await confinedPasswordFiles(await configFromContents(files, contents, io.cwd), paths, io);
    if (useCache) {
      const cached = toCachedConfig(config, shown);
      if (cached) await writeCache(io.cwd, 'config', key, cached);
    }
    return { config, key };
  });
}

/** `config` once its password files are known to be inside the configuration (config/password-references.ts). */
async function confinedPasswordFiles(config: DesiredConfig, paths: readonly string[], io: CliIo): Promise<DesiredConfig> {
  await assertPasswordFilesConfined(config, { paths, cwd: io.cwd, env: io.env });
  return config;
}

/** A digest of the desired state's normal form: equal for configurations that mean the same thing. */
export function configHash(state: OrgState): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify(normalizeState(state))).digest('hex');
}
