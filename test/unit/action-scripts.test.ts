/**
 * The action's GitHub scripts (action/comment.mjs, action/reviewed-plan.mjs), run as the action runs them (node, a
 * child process) against a small stand-in for GitHub's REST API on a local port: one comment per marker, updated
 * on every push; the reviewed plan found only for a merged pull request and a successful run from this repository.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commentBody, fenced, MAX_COMMENT } from '../../action/comment.mjs';
import { REPO_ROOT, tempDir } from '../support/cli.ts';

const REPO = 'acme/people';
const BOT = 'github-actions[bot]';

interface Comment {
  id: number;
  body: string;
  user: { login: string };
  html_url: string;
}

/** The little of GitHub the scripts use: issue comments (two per page), commit pulls, workflow runs. */
class FakeGitHub {
  comments: Comment[] = [];
  pulls: unknown[] = [];
  runs: unknown[] = [];
  requests: string[] = [];
  private server: Server = createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    let body = '';
    for await (const chunk of req) body += chunk;
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(data));
    };
    if (req.headers.authorization !== 'Bearer t0ken') return send(401, { message: 'Bad credentials' });
    let match;
    if ((match = /^\/repos\/acme\/people\/issues\/(\d+)\/comments$/.exec(url.pathname))) {
      if (req.method === 'POST') {
        const id = 1000 + this.comments.length;
        const comment = { id, body: JSON.parse(body).body, user: { login: BOT }, html_url: `https://github.test/${REPO}/pull/${match[1]}#issuecomment-${id}` };
        this.comments.push(comment);
        return send(201, comment);
      }
      const page = Number(url.searchParams.get('page') ?? '1');
      const slice = this.comments.slice((page - 1) * 2, page * 2);
      const next: Record<string, string> = page * 2 < this.comments.length ? { link: `<${this.url}${url.pathname}?page=${page + 1}>; rel="next"` } : {};
      return send(200, slice, next);
    }
    if ((match = /^\/repos\/acme\/people\/issues\/comments\/(\d+)$/.exec(url.pathname)) && req.method === 'PATCH') {
      const comment = this.comments.find((c) => c.id === Number(match![1]));
      if (!comment) return send(404, { message: 'Not Found' });
      comment.body = JSON.parse(body).body;
      return send(200, comment);
    }
    if (/^\/repos\/acme\/people\/commits\/[0-9a-f]+\/pulls$/.test(url.pathname)) return send(200, this.pulls);
    if (url.pathname === '/repos/acme/people/actions/workflows/roster-plan.yml/runs') {
      const runs = this.runs.filter((r) => (r as { head_sha: string }).head_sha === url.searchParams.get('head_sha'));
      return send(200, { total_count: runs.length, workflow_runs: runs });
    }
    send(404, { message: 'Not Found' });
  }
}

let github: FakeGitHub;
beforeEach(async () => {
  github = new FakeGitHub();
  await github.start();
});
afterEach(async () => {
  await github.stop();
});

/** Runs an action script with node, as the action does; returns its exit code, stdout and $GITHUB_OUTPUT. */
async function runScript(script: string, args: string[], env: Record<string, string> = {}) {
  const dir = await tempDir();
  const output = join(dir, 'output');
  await writeFile(output, '');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'action', script), ...args], {
    env: { PATH: process.env.PATH ?? '', GITHUB_API_URL: github.url, GITHUB_TOKEN: 't0ken', GITHUB_REPOSITORY: REPO, GITHUB_OUTPUT: output, ...env },
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stdout += chunk));
  const [code] = await once(child, 'close');
  const outputs = Object.fromEntries((await readFile(output, 'utf8')).split('\n').filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)));
  return { code: code as number, stdout, outputs: outputs as Record<string, string> };
}

async function bodyFile(text: string): Promise<string> {
  const file = join(await tempDir(), 'body.md');
  await writeFile(file, text);
  return file;
}

describe('comment.mjs', () => {
  it('posts one comment, then updates that one on every later push', async () => {
    // Other comments, among them one by a person quoting the marker: never touched.
    for (const [login, text] of [['ann', 'LGTM'], ['bob', '<!-- roster:plan:roster -->\nnot the bot'], [BOT, 'unrelated']]) {
      github.comments.push({ id: github.comments.length + 1, body: text!, user: { login: login! }, html_url: `x#${github.comments.length + 1}` });
    }
    const first = await runScript('comment.mjs', ['--issue', '7', '--marker', 'plan:roster', '--body-file', await bodyFile('1 to create\n')]);
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs.url).toMatch(/\/pull\/7#issuecomment-\d+$/);
    const second = await runScript('comment.mjs', ['--issue', '7', '--marker', 'plan:roster', '--body-file', await bodyFile('2 to create\n')]);
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.url).toBe(first.outputs.url);
    const mine = github.comments.filter((c) => c.user.login === BOT && c.body.startsWith('<!-- roster:plan:roster -->'));
    expect(mine.map((c) => c.body)).toEqual(['<!-- roster:plan:roster -->\n2 to create\n']);
    expect(github.comments.find((c) => c.user.login === 'bob')!.body).toBe('<!-- roster:plan:roster -->\nnot the bot');
    // Found across pages (two comments a page here).
    expect(github.requests.filter((r) => r === 'GET /repos/acme/people/issues/7/comments').length).toBeGreaterThan(2);
    // Another marker is another comment.
    await runScript('comment.mjs', ['--issue', '7', '--marker', 'apply:roster', '--body-file', await bodyFile('applied\n')]);
    expect(github.comments.filter((c) => c.user.login === BOT).length).toBe(3);
  });

  it('says what went wrong as one ::error:: line, never a stack trace', async () => {
    const denied = await runScript('comment.mjs', ['--issue', '7', '--marker', 'plan:roster', '--body-file', await bodyFile('x')], { GITHUB_TOKEN: 'wrong' });
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^::error title=roster::GitHub answered 401 to GET \/repos\/acme\/people\/issues\/7\/comments: /);
    expect(denied.stdout).not.toMatch(/\n\s+at /);
    const badMarker = await runScript('comment.mjs', ['--issue', '7', '--marker', 'x -->', '--body-file', await bodyFile('x')]);
    expect(badMarker.stdout).toContain('a comment marker has 1 to 100 letters');
    const noIssue = await runScript('comment.mjs', ['--issue', '', '--marker', 'plan', '--body-file', await bodyFile('x')]);
    expect(noIssue.stdout).toContain('--issue needs a pull-request number');
  });

  it('folds details in a fence their text cannot close, and stays within GitHub\'s limit', () => {
    const sneaky = 'error: x\n```\n## injected heading\n````';
    const text = fenced(sneaky);
    expect(text.startsWith('`````text\n')).toBe(true);
    expect(text.endsWith('\n`````')).toBe(true);
    const body = commentBody({ marker: 'plan:a', body: 'x'.repeat(70_000), details: 'log', detailsTitle: 'Messages' });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
    expect(body).toMatch(/cut at 65000 characters/);
    expect(commentBody({ marker: 'plan:a', body: 'plan\n', details: 'log\n', detailsTitle: 'Messages' })).toBe(
      '<!-- roster:plan:a -->\nplan\n\n<details><summary>Messages</summary>\n\n```text\nlog\n```\n\n</details>\n',
    );
  });
});

describe('reviewed-plan.mjs', () => {
  const merged = 'a'.repeat(40);
  const head = 'b'.repeat(40);
  const env = { GITHUB_SHA: merged, GITHUB_REF_NAME: 'main' };
  const pull = { number: 12, merged_at: '2026-11-28T10:00:00Z', merge_commit_sha: merged, base: { ref: 'main' }, head: { sha: head } };
  const run = (id: number, extra: Record<string, unknown> = {}) => ({
    id,
    head_sha: head,
    conclusion: 'success',
    created_at: `2026-11-28T09:0${id}:00Z`,
    html_url: `https://github.test/${REPO}/actions/runs/${id}`,
    head_repository: { full_name: REPO },
    ...extra,
  });

  it('finds the newest successful plan run, from this repository, for the merged pull request\'s head', async () => {
    github.pulls = [pull];
    github.runs = [run(1), run(3, { head_repository: { full_name: 'mallory/people' } }), run(2), run(4, { conclusion: 'failure' })];
    const result = await runScript('reviewed-plan.mjs', ['--workflow', 'roster-plan.yml'], env);
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toEqual({ 'pr-number': '12', 'head-sha': head, 'run-id': '2', 'run-url': `https://github.test/${REPO}/actions/runs/2` });
  });

  it('refuses a commit that no pull request merged, or whose pull request has no successful plan run', async () => {
    github.pulls = [{ ...pull, merge_commit_sha: 'c'.repeat(40) }];
    const direct = await runScript('reviewed-plan.mjs', ['--workflow', 'roster-plan.yml'], env);
    expect(direct.code).toBe(1);
    expect(direct.stdout).toContain(`commit ${merged} is not the merge of a pull request into main: roster applies only a plan reviewed in a pull request`);
    github.pulls = [pull];
    github.runs = [run(1, { conclusion: 'failure' }), run(2, { head_repository: { full_name: 'mallory/people' } })];
    const none = await runScript('reviewed-plan.mjs', ['--workflow', 'roster-plan.yml'], env);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`no successful run of roster-plan.yml for the head commit ${head} of pull request #12`);
    expect(none.outputs).toEqual({});
  });
});
