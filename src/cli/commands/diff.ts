/**
 * `roster diff OLD NEW` or `roster diff [PATH...] --base REF`: the semantic difference between two configurations,
 * without any database.
 */
import { discoverFiles } from '../../config/discover.ts';
import { configFromContents } from '../../config/load.ts';
import { readConfigFiles } from '../../config/read-files.ts';
import { diffConfigurations } from '../../diff/config-diff.ts';
import { readRevisionFiles } from '../../diff/git-base.ts';
import { UserError } from '../../errors.ts';
import type { GuardLimits } from '../../plan/types.ts';
import { renderDiffJson } from '../../render/diff-json.ts';
import { renderDiffMarkdown } from '../../render/diff-markdown.ts';
import { renderDiffText } from '../../render/diff-text.ts';
import { escapeText } from '../../render/escape.ts';
import { chooseStyle } from '../../render/style.ts';
import type { CliIo } from '../io.ts';

export interface DiffCommandOptions {
  readonly paths: readonly string[];
  /** A Git revision whose files are the base; without it, two paths. */
  readonly base: string | undefined;
  readonly format: 'text' | 'json' | 'markdown';
  readonly limits: GuardLimits;
  readonly io: CliIo;
}

/** Prints the review. Exit 0, or 1 when the changes break a guard rail. Throws UserError, ConfigError. */
export async function diffCommand(options: DiffCommandOptions): Promise<number> {
  const { io } = options;
  let base;
  let head;
  let baseLabel: string;
  let headLabel: string;
  if (options.base !== undefined) {
    const files = await readRevisionFiles({ ref: options.base, paths: options.paths, cwd: io.cwd });
    base = files.paths.length === 0 ? null : await configFromContents(files.paths, files.contents, io.cwd);
    const paths = await discoverFiles({ paths: options.paths, cwd: io.cwd });
    head = await configFromContents(paths, await readConfigFiles(paths, io.cwd), io.cwd);
    baseLabel = `${options.base}${options.paths.length > 0 ? `:${options.paths.join(' ')}` : ''}`;
    headLabel = `working tree${options.paths.length > 0 ? ` (${options.paths.join(' ')})` : ''}`;
  } else {
    if (options.paths.length !== 2) throw new UserError('diff compares two configurations: roster diff OLD NEW, or roster diff [PATH...] --base REF');
    const [oldPath, newPath] = options.paths as [string, string];
    const load = async (path: string) => {
      const paths = await discoverFiles({ paths: [path], cwd: io.cwd });
      return configFromContents(paths, await readConfigFiles(paths, io.cwd), io.cwd);
    };
    base = await load(oldPath);
    head = await load(newPath);
    [baseLabel, headLabel] = [oldPath, newPath];
  }
  if (base !== null && base.state.organization.key !== head.state.organization.key) {
    throw new UserError(
      `the two configurations describe different organizations (${escapeText(base.state.organization.key)} and ${escapeText(head.state.organization.key)}): diff compares two versions of one organization`,
    );
  }
  const diff = diffConfigurations({ base: base?.state ?? null, head: head.state, unmanagedUsers: head.unmanagedUsers, limits: options.limits, baseLabel, headLabel });
  const render = {
    text: () => renderDiffText(diff, chooseStyle({ isTTY: io.stdout.isTTY === true, env: io.env })),
    markdown: () => renderDiffMarkdown(diff),
    json: () => renderDiffJson(diff),
  };
  io.stdout.write(render[options.format]());
  return diff.guardViolations.length > 0 ? 1 : 0;
}
