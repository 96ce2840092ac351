/**
 * Loading the configuration: find the files, read them, parse, check against the schema, assemble.
 * The only part of config/ that touches the file system (with discover.ts).
 */
import { ConfigError, type Diagnostic } from '../errors.ts';
import { assembleConfig, type DesiredConfig } from './assemble.ts';
import { discoverFiles, displayPath, type DiscoverOptions } from './discover.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { checkStorableText } from './text-check.ts';
import { NOT_FAST } from './fast-yaml.ts';
import { fastParseAll } from './parallel-parse.ts';
import { readConfigFiles } from './read-files.ts';
import { overlongValues } from './size-limits.ts';
import { parseSourceFile, type SourceFile } from './source-file.ts';

export { discoverFiles };
export type LoadOptions = DiscoverOptions;

/**
 * Loads and validates the configuration.
 * Throws {@link ConfigError} with every problem found, or UserError when a path does not exist or holds no YAML.
 */
export async function loadConfig(options: LoadOptions): Promise<DesiredConfig> {
  const paths = await discoverFiles(options);
  const contents = await readConfigFiles(paths, options.cwd);
  return configFromContents(paths, contents, options.cwd);
}

/**
 * Parses (on every core, for large configurations), checks and assembles files already read (`paths` absolute,
 * shown relative to `cwd`). Throws {@link ConfigError} with every problem found.
 */
export async function configFromContents(paths: readonly string[], contents: readonly Uint8Array[], cwd: string): Promise<DesiredConfig> {
  const diagnostics: Diagnostic[] = [];
  const files: SourceFile[] = [];
  const unparsed: { path: string; text: string }[] = [];
  // Byte-level problems (NUL, invalid UTF-8) are found by parseSourceFile; here text is only a best effort.
  const texts = contents.map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\uFEFF/, ''));
  // A value too long to be valid is refused before any parser sees its file.
  const overlong = paths.map((path, i) => overlongValues(displayPath(path, cwd), texts[i]!));
  const preParsed = await fastParseAll(texts.map((text, i) => (overlong[i]!.length > 0 ? '' : text)));
  paths.forEach((path, i) => {
    const shown = displayPath(path, cwd);
    if (overlong[i]!.length > 0) {
      for (const diagnostic of overlong[i]!) diagnostics.push(diagnostic);
      unparsed.push({ path: shown, text: texts[i]! });
      return;
    }
    let parsed = parseSourceFile(shown, contents[i]!, preParsed[i] === NOT_FAST ? { fast: false } : { preParsed: preParsed[i] });
    const readFast = parsed.file?.lazy === true;
    let problems = parsed.file ? checkFile(parsed.file) : [];
    if (problems.length > 0 && readFast) {
      // Invalid files are read again by the full parser, so every message is exactly what it would say.
      parsed = parseSourceFile(shown, contents[i]!, { fast: false });
      problems = parsed.file ? checkFile(parsed.file) : [];
    }
    // Appended one by one: a file can have hundreds of thousands of problems, too many for spread arguments.
    for (const diagnostic of [parsed.diagnostics, problems].flat()) diagnostics.push(diagnostic);
    if (parsed.file) files.push(parsed.file);
    else unparsed.push({ path: shown, text: texts[i]! });
  });
  const assembled = assembleConfig(files, { unparsed });
  for (const diagnostic of assembled.diagnostics) diagnostics.push(diagnostic);
  if (diagnostics.length > 0 || !assembled.config) throw new ConfigError(diagnostics);
  return assembled.config;
}

/** Every problem of one parsed file on its own: its shape, and text that cannot be stored. */
function checkFile(file: SourceFile): Diagnostic[] {
  return [checkAgainstSchema(file), checkStorableText(file)].flat();
}
