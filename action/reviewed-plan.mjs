// Finds the plan that was reviewed for the commit being applied: the pull request merged as $GITHUB_SHA, and the
// newest successful run of the plan workflow for that pull request's head commit, from this repository (never a
// fork's). Writes pr-number, head-sha, run-id and run-url to $GITHUB_OUTPUT.
//
//   node reviewed-plan.mjs --workflow roster-plan.yml
//
// Environment: GITHUB_TOKEN (actions: read, pull-requests: read), GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF_NAME,
// GITHUB_API_URL, GITHUB_SERVER_URL.
import { pathToFileURL } from 'node:url';
import { githubClient, parseFlags, requiredEnv, runAsCommand, setOutputs } from './github.mjs';

/**
 * Returns `{ pr, headSha, runId, runUrl }`. Throws an Error that says what is missing and what to do when the
 * commit was not merged from a pull request into `branch`, or no successful plan run exists for its head.
 */
export async function findReviewedPlan({ client, repository, sha, branch, workflow }) {
  if (!/^[\w.-]+\.ya?ml$/.test(workflow)) throw new Error(`--workflow names the plan workflow's file, like roster-plan.yml (not '${workflow}')`);
  const pulls = await client.request('GET', `/repos/${repository}/commits/${sha}/pulls`);
  const pr = pulls.find((p) => p.merged_at && p.merge_commit_sha === sha && p.base?.ref === branch);
  if (!pr) {
    throw new Error(
      `commit ${sha} is not the merge of a pull request into ${branch}: roster applies only a plan reviewed in a pull request. ` +
        'Open a pull request for the change, let the plan workflow comment on it, and merge it.',
    );
  }
  const headSha = pr.head.sha;
  const runs = await client.paginate(
    `/repos/${repository}/actions/workflows/${encodeURIComponent(workflow)}/runs?head_sha=${headSha}&event=pull_request&status=success&per_page=100`,
    'workflow_runs',
  );
  const run = runs
    .filter((r) => r.conclusion === 'success' && r.head_sha === headSha && r.head_repository?.full_name === repository)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0];
  if (!run) {
    throw new Error(
      `no successful run of ${workflow} for the head commit ${headSha} of pull request #${pr.number}: there is no reviewed plan ` +
        'to apply. Re-run the plan workflow on the pull request (or fix what failed), then re-run this job.',
    );
  }
  return { pr: pr.number, headSha, runId: run.id, runUrl: run.html_url };
}

async function main(argv, env) {
  const flags = parseFlags(argv, ['workflow']);
  const client = githubClient({ apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com', token: requiredEnv(env, 'GITHUB_TOKEN') });
  const found = await findReviewedPlan({
    client,
    repository: requiredEnv(env, 'GITHUB_REPOSITORY'),
    sha: requiredEnv(env, 'GITHUB_SHA'),
    branch: requiredEnv(env, 'GITHUB_REF_NAME'),
    workflow: flags.workflow ?? 'roster-plan.yml',
  });
  process.stdout.write(`The plan reviewed in pull request #${found.pr} was made by ${found.runUrl} (head ${found.headSha}).\n`);
  await setOutputs(env, { 'pr-number': found.pr, 'head-sha': found.headSha, 'run-id': found.runId, 'run-url': found.runUrl });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runAsCommand(main);
