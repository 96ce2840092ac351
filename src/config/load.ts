/**
 * Loading the configuration: find the files, read them, parse, check against the schema, assemble.
 * The only part of config/ that touches the file system.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, UserError, compareStrings, type Diagnostic } from '../errors.ts';
import { assembleConfig, type DesiredConfig } from './assemble.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { parseSourceFile, type SourceFile } from './source-file.ts';

const YAML_FILE = /\.ya?ml$/i;
/** Folders never searched: dependencies, and hidden folders (.git, .github, .roster…) which hold other tools' YAML. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.roster']);

export interface LoadOptions {
  /** Files or directories; directories are searched recursively for *.yaml and *.yml. */
  readonly paths: readonly string[];
  /** Paths are resolved against it and shown relative to it. */
  readonly cwd: string;
}

/**
 * Loads and validates the configuration.
 * Throws {@link ConfigError} with every problem found, or {@link UserError} when a path does not exist or holds no YAML.
 */
export async function loadConfig(options: LoadOptions): Promise<DesiredConfig> {
  const paths = await discoverFiles(options);
  const diagnostics: Diagnostic[] = [];
  const files: SourceFile[] = [];
  const contents = await Promise.all(paths.map((path) => readFile(path)));
  paths.forEach((path, i) => {
    const shown = displayPath(path, options.cwd);
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

/** Lists the YAML files named by `paths`, sorted, without duplicates. */
export async function discoverFiles(options: LoadOptions): Promise<string[]> {
  const found = new Set<string>();
  for (const path of options.paths.length > 0 ? options.paths : ['.']) {
    const absolute = resolve(options.cwd, path);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new UserError(`${path}: no such file or directory`);
    }
    if (info.isDirectory()) {
      const before = found.size;
      await walk(absolute, found);
      if (found.size === before) throw new UserError(`${path}: no *.yaml or *.yml files in this directory`);
    } else {
      found.add(absolute);
    }
  }
  return [...found].sort(compareStrings);
}

async function walk(directory: string, found: Set<string>): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) await walk(path, found);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && YAML_FILE.test(entry.name)) {
      found.add(path);
    }
  }
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
