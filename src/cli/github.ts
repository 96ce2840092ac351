/** GitHub Actions integration: workflow-command annotations and job summaries. */
import { appendFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic } from '../errors.ts';
import { escapeLines, escapeText } from '../render/escape.ts';
import type { Plan } from '../plan/types.ts';
import type { CliIo } from './io.ts';

/** GitHub shows at most 10 errors and 10 warnings of a step (50 of a job); more only clutter the log. */
const ANNOTATIONS_PER_KIND = 10;

/** True inside a GitHub Actions job. */
export function inGitHubActions(io: Pick<CliIo, 'env'>): boolean {
  return io.env.GITHUB_ACTIONS === 'true';
}

/**
 * Escapes a workflow command's message: invisible and control characters as `\u{…}` (the one rule of every output,
 * render/escape.ts; a raw CR could otherwise start a forged `::warning::`), then `%`, CR and LF as @actions/core does,
 * so the line breaks of a multi-line message survive as %0A.
 */
export function escapeData(text: string): string {
  return escapeLines(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value. */
export function escapeProperty(text: string): string {
  return escapeData(escapeText(text)).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Where annotation paths are relative to: the checkout ($GITHUB_WORKSPACE), which GitHub matches files against. */
export interface AnnotationPaths {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * A diagnostic's file as GitHub wants it: relative to $GITHUB_WORKSPACE when that is set and holds the file
 * (roster's own paths are relative to the directory it runs in, which may be a subdirectory of the checkout).
 */
export function annotationPath(file: string, paths: AnnotationPaths | undefined): string {
  const workspace = paths?.env.GITHUB_WORKSPACE;
  if (!paths || !workspace) return file;
  const rel = relative(resolve(paths.cwd, workspace), resolve(paths.cwd, file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : file;
}

/** `::error file=…,line=…,col=…::message` for each diagnostic, one per line. */
export function errorAnnotations(diagnostics: readonly Diagnostic[], paths?: AnnotationPaths): string {
  return diagnostics
    .map((d) => {
      const related = (d.related ?? []).map((r) => `\n${annotationPath(r.position.file, paths)}:${r.position.line}:${r.position.col}: ${r.message}`).join('');
      const p = d.position;
      return `::error file=${escapeProperty(annotationPath(p.file, paths))},line=${p.line},col=${p.col},title=roster::${escapeData(d.message + related)}\n`;
    })
    .join('');
}

/**
 * Annotations for a plan: `::error` for what blocks it (plan problems, guard-rail violations), `::warning` for
 * sensitive changes and possible renames, so a reviewer sees them on the run's page without opening the log.
 * At most {@link ANNOTATIONS_PER_KIND} of each, the last one saying how many more the plan holds.
 */
export function planAnnotations(plan: Plan): string {
  const errors = [
    ...plan.problems.map((p) => ({ title: 'roster plan problem', message: p.message })),
    ...plan.guards.violations.map((v) => ({ title: `roster guard rail: ${v.guard}`, message: v.message })),
  ];
  const warnings = [
    ...plan.sensitive.map((s) => ({ title: 'roster sensitive change', message: s.message })),
    ...(plan.hints ?? []).map((h) => ({ title: 'roster hint: possible rename', message: h.message })),
  ];
  return [...annotate('error', errors), ...annotate('warning', warnings)].join('');
}

function annotate(level: 'error' | 'warning', items: readonly { title: string; message: string }[]): string[] {
  const shown = items.length > ANNOTATIONS_PER_KIND ? items.slice(0, ANNOTATIONS_PER_KIND - 1) : items;
  const lines = shown.map((i) => `::${level} title=${escapeProperty(i.title)}::${escapeData(i.message)}\n`);
  if (shown.length < items.length) {
    lines.push(`::${level} title=roster::${escapeData(`${items.length - shown.length} more ${level}s in the plan: see the job summary or roster plan --format json`)}\n`);
  }
  return lines;
}

/** Appends Markdown to the job summary when $GITHUB_STEP_SUMMARY names a file; does nothing otherwise. */
export async function appendStepSummary(io: CliIo, markdown: string): Promise<void> {
  const path = io.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  try {
    await appendFile(path, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
  } catch (error) {
    io.stderr.write(`warning: cannot append to the job summary ${path}: ${(error as Error).message}\n`);
  }
}
