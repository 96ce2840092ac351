/** The configuration-only review in Markdown, for pull requests from forks and jobs without database credentials. */
import type { ConfigDiff } from '../diff/config-diff.ts';
import { cell } from './markdown.ts';
import { changeLines, DIFF_GROUPS, DIFF_LABEL } from './diff-text.ts';

/** Renders the review as Markdown. Pure; every value escaped. */
export function renderDiffMarkdown(diff: ConfigDiff): string {
  const out = [`## roster diff: ${cell(diff.organization)}`, '', `> **${DIFF_LABEL}**: ${cell(diff.base)} → ${cell(diff.head)}. The base files stand for the stored state.`, ''];
  if (diff.sensitive.length > 0) out.push(`### ⚠ Sensitive changes (${diff.sensitive.length})`, '', ...diff.sensitive.map((s) => `- ${cell(s.message)}`), '');
  if (diff.guardViolations.length > 0) out.push(`### ✗ Guard rails broken (${diff.guardViolations.length})`, '', ...diff.guardViolations.map((v) => `- ${cell(v.message)} (override: ${cell(v.override)})`), '');
  for (const [group, title] of DIFF_GROUPS) {
    if (diff[group].length === 0) continue;
    out.push(`### ${title} (${diff[group].length})`, '');
    for (const change of diff[group]) {
      const { head, fields } = changeLines(change);
      out.push(`- ${cell(head)}${fields.length > 0 ? `: ${fields.map(cell).join('; ')}` : ''}`);
    }
    out.push('');
  }
  const s = diff.summary;
  out.push(`**Summary**: ${s.create} to create, ${s.update} to update, ${s.deactivate} to deactivate, ${s.reactivate} to reactivate, ${s.delete} to delete.`);
  return `${out.join('\n')}\n`;
}
