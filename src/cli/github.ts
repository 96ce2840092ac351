/** GitHub Actions integration: workflow-command annotations and job summaries. */
import { appendFile } from 'node:fs/promises';
import type { Diagnostic } from '../errors.ts';
import type { CliIo } from './io.ts';

/** True inside a GitHub Actions job. */
export function inGitHubActions(io: CliIo): boolean {
  return io.env.GITHUB_ACTIONS === 'true';
}

/** Escapes a workflow command's message (as @actions/core does). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=…,line=…,col=…::message` for each diagnostic, one per line. */
export function errorAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const related = (d.related ?? []).map((r) => `\n${r.position.file}:${r.position.line}:${r.position.col}: ${r.message}`).join('');
      const p = d.position;
      return `::error file=${escapeProperty(p.file)},line=${p.line},col=${p.col},title=roster::${escapeData(d.message + related)}\n`;
    })
    .join('');
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
