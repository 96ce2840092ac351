// Posts or updates ONE pull-request comment per (marker, author): found again by a hidden marker at its start, so
// that every push updates the plan comment instead of adding another.
//
//   node comment.mjs --issue 12 --marker plan:roster --body-file plan.md [--details-file out.txt --details-title "…"]
//
// Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL; GITHUB_OUTPUT receives url=<the comment's URL>.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { githubClient, parseFlags, requiredEnv, runAsCommand, setOutputs } from './github.mjs';

/** GitHub refuses comments longer than 65,536 characters; roster's Markdown stays below 60,000. */
export const MAX_COMMENT = 65_000;

/** The hidden first line that finds a comment again. Only letters, digits and `.:_-` make a marker. */
export function markerLine(marker) {
  if (!/^[A-Za-z0-9.:_-]{1,100}$/.test(marker)) throw new Error(`a comment marker has 1 to 100 letters, digits or .:_- (not '${marker}')`);
  return `<!-- roster:${marker} -->`;
}

/** A Markdown code fence longer than any run of backticks in `text`, so that text cannot close it. */
export function fenced(text) {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/** The comment's body: marker, text, optional folded details; cut (saying so) to stay within GitHub's limit. */
export function commentBody({ marker, body, details, detailsTitle }) {
  let text = `${markerLine(marker)}\n${body.replace(/\n+$/, '')}\n`;
  if (details !== undefined && details.trim() !== '') {
    const tail = details.length > 20_000 ? `… (${details.length - 20_000} characters cut; the job's log has all of it)\n${details.slice(-20_000)}` : details;
    text += `\n<details><summary>${detailsTitle ?? 'Output'}</summary>\n\n${fenced(tail)}\n\n</details>\n`;
  }
  if (text.length > MAX_COMMENT) {
    const note = `\n\n… cut at ${MAX_COMMENT} characters: the job's summary has the whole text.\n`;
    text = text.slice(0, MAX_COMMENT - note.length) + note;
  }
  return text;
}

/**
 * Updates the first comment on `issue` that starts with the marker and was written by `author`, or creates one.
 * Returns `{ url, created }`. Throws the API's error.
 */
export async function upsertComment({ client, repository, issue, marker, author, body }) {
  const line = markerLine(marker);
  const comments = await client.paginate(`/repos/${repository}/issues/${issue}/comments?per_page=100`);
  const mine = comments.find((c) => c.user?.login === author && typeof c.body === 'string' && c.body.startsWith(line));
  if (mine) {
    const updated = await client.request('PATCH', `/repos/${repository}/issues/comments/${mine.id}`, { body });
    return { url: updated.html_url, created: false };
  }
  const created = await client.request('POST', `/repos/${repository}/issues/${issue}/comments`, { body });
  return { url: created.html_url, created: true };
}

async function main(argv, env) {
  const flags = parseFlags(argv, ['issue', 'marker', 'body-file', 'details-file', 'details-title', 'author']);
  if (!/^[1-9][0-9]*$/.test(flags.issue ?? '')) throw new Error(`--issue needs a pull-request number (got '${flags.issue ?? ''}')`);
  const body = commentBody({
    marker: flags.marker ?? '',
    body: await readFile(flags['body-file'], 'utf8'),
    details: flags['details-file'] ? await readFile(flags['details-file'], 'utf8').catch(() => undefined) : undefined,
    detailsTitle: flags['details-title'],
  });
  const client = githubClient({ apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com', token: requiredEnv(env, 'GITHUB_TOKEN') });
  const { url, created } = await upsertComment({
    client,
    repository: requiredEnv(env, 'GITHUB_REPOSITORY'),
    issue: flags.issue,
    marker: flags.marker,
    author: flags.author ?? 'github-actions[bot]',
    body,
  });
  process.stdout.write(`${created ? 'Posted' : 'Updated'} ${url}\n`);
  await setOutputs(env, { url });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runAsCommand(main);
