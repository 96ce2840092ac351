/**
 * Loading the configuration: find the files, read them, parse, check against the schema, assemble.
 * The only part of config/ that touches the file system (with discover.ts).
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, type Diagnostic } from '../errors.ts';
import { assembleConfig, type DesiredConfig } from './assemble.ts';
import { discoverFiles, displayPath, type DiscoverOptions } from './discover.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { parseSourceFile, type SourceFile } from './source-file.ts';

export { discoverFiles };
export type LoadOptions = DiscoverOptions;

/**
 * Loads and validates the configuration.
 * Throws {@link ConfigError} with every problem found, or UserError when a path does not exist or holds no YAML.
 */
export async function loadConfig(options: LoadOptions): Promise<DesiredConfig> {
  const paths = await discoverFiles(options);
  const contents = await Promise.all(paths.map((path) => readFile(path)));
  return configFromContents(paths, contents, options.cwd);
}

/** Parses, checks and assembles files already read. Throws {@link ConfigError}. */
export function configFromContents(paths: readonly string[], contents: readonly Uint8Array[], cwd: string): DesiredConfig {
  const diagnostics: Diagnostic[] = [];
  const files: SourceFile[] = [];
  paths.forEach((path, i) => {
    const shown = displayPath(path, cwd);
    let parsed = parseSourceFile(shown, contents[i]!);
    const readFast = parsed.file?.lazy === true;
    let problems = parsed.file ? checkAgainstSchema(parsed.file) : [];
    if (problems.length > 0 && readFast) {
      // Invalid files are read again by the full parser, so every message is exactly what it would say.
      parsed = parseSourceFile(shown, contents[i]!, { fast: false });
      problems = parsed.file ? checkAgainstSchema(parsed.file) : [];
    }
    diagnostics.push(...parsed.diagnostics, ...problems);
    if (parsed.file) files.push(parsed.file);
  });
  const assembled = assembleConfig(files, { partial: files.length < paths.length });
  diagnostics.push(...assembled.diagnostics);
  if (diagnostics.length > 0 || !assembled.config) throw new ConfigError(diagnostics);
  return assembled.config;
}
