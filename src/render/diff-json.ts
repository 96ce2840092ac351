/** The configuration-only review for machines: `review` is always `configuration-only`. */
import type { ConfigDiff } from '../diff/config-diff.ts';
import { escapeJson } from './escape.ts';

/** Renders the review as JSON. Pure; no raw control or bidirectional character. */
export function renderDiffJson(diff: ConfigDiff): string {
  return escapeJson(JSON.stringify(diff, null, 2)) + '\n';
}
