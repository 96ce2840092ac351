// The little of GitHub's REST API the roster action uses, with Node's own fetch: no dependency to install or pin.

/**
 * A client for `apiUrl` (GITHUB_API_URL) authenticated with `token`. `request` throws an Error naming the method,
 * path and status on any answer other than 2xx; `paginate` follows `Link: rel="next"` and concatenates the pages
 * (or `key` of each page, for answers that wrap their list).
 */
export function githubClient({ apiUrl, token, fetch = globalThis.fetch }) {
  const base = apiUrl.replace(/\/+$/, '');
  async function call(method, pathOrUrl, body) {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`;
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new Error(`GitHub answered ${response.status} to ${method} ${new URL(url).pathname}: ${text.slice(0, 300)}`);
    }
    return { data: response.status === 204 ? null : await response.json(), link: response.headers.get('link') };
  }
  return {
    async request(method, path, body) {
      return (await call(method, path, body)).data;
    },
    async paginate(path, key) {
      const items = [];
      let next = path;
      while (next) {
        const { data, link } = await call('GET', next);
        items.push(...(key ? data[key] : data));
        next = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
      }
      return items;
    },
  };
}

/** Parses `--name value` pairs; throws on anything else, naming it. */
export function parseFlags(argv, known) {
  const flags = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '');
    if (!known.includes(name) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    flags[name] = argv[i + 1];
  }
  return flags;
}

/** Reads a required environment variable, with a message saying which. */
export function requiredEnv(env, name) {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: run this inside a GitHub Actions job`);
  return value;
}

/** Appends `name=value` lines to $GITHUB_OUTPUT when it is set (values here never hold newlines). */
export async function setOutputs(env, outputs) {
  if (!env.GITHUB_OUTPUT) return;
  const { appendFile } = await import('node:fs/promises');
  await appendFile(env.GITHUB_OUTPUT, Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(''));
}

/** Runs `main` as a command: an error becomes one `::error::` line and exit 1, never a stack trace. */
export function runAsCommand(main) {
  main(process.argv.slice(2), process.env).catch((error) => {
    process.stdout.write(`::error title=roster::${String(error.message).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
    process.exitCode = 1;
  });
}
