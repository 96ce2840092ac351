/**
 * Connection strings and database messages without their secrets. No dependencies, so the CLI's error path stays light.
 *
 * A connection string is shown only as what can be proven harmless: the scheme, a user name, hosts and ports, the
 * database name and the values of a few well-known parameters, each matching a narrow character set. Everything
 * else — a password in the user info, `password=`, `passfile=`, `sslpassword=`, `sslkey=` and any parameter roster does
 * not know, a fragment — becomes `***` or is left out. A string that cannot be read that way (an unencoded `#` or
 * space in a password, not a URL at all) is never echoed: at most its scheme is named.
 */

const REDACTED = '***';

/** Parameters whose values are shown (when they match {@link SAFE_VALUE}); every other parameter's value is hidden. */
const SHOWN_PARAMETERS: ReadonlySet<string> = new Set([
  'application_name',
  'connect_timeout',
  'client_encoding',
  'dbname',
  'fallback_application_name',
  'gssencmode',
  'host',
  'hostaddr',
  'keepalives',
  'keepalives_count',
  'keepalives_idle',
  'keepalives_interval',
  'load_balance_hosts',
  'port',
  'sslmode',
  'sslrootcert',
  'target_session_attrs',
  'user',
]);

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const SAFE_VALUE = /^[A-Za-z0-9._~%/@+-]*$/;
const SAFE_USER = /^[A-Za-z0-9._~%!$'()*+;=-]*$/;
const SAFE_PATH = /^[A-Za-z0-9._~%-]*$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%-]*)(?::\d{1,5})?$/;

/** What a connection string is, read without trusting it. */
type Reading =
  | { readonly kind: 'url'; readonly shown: string }
  | { readonly kind: 'key-value'; readonly shown: string }
  | { readonly kind: 'invalid'; readonly scheme: string | null };

/**
 * The connection string with every credential replaced by `***` (user-info password, `password`, `passfile`,
 * `sslpassword`, `sslkey` and any other parameter not known to be harmless), for messages, file headers and plans.
 * A string that is not a readable URL or key=value string gives `postgres://… (not a valid URL)`: its scheme at most.
 * Never throws.
 */
export function redactUrl(connectionString: string): string {
  const reading = readConnectionString(connectionString);
  switch (reading.kind) {
    case 'url':
    case 'key-value':
      return reading.shown;
    case 'invalid':
      return `${reading.scheme ? `${reading.scheme}://…` : 'a connection string'} (not a valid URL)`;
  }
}

/**
 * Why roster cannot use this connection string, without repeating any of it but the scheme; null when it is a URL
 * roster can read. Used to refuse early rather than pass a malformed string (and its password) to the driver.
 */
export function connectionStringProblem(connectionString: string): string | null {
  const reading = readConnectionString(connectionString);
  const encode = 'percent-encode reserved characters in the password (@ as %40, # as %23, / as %2F, space as %20, % as %25)';
  if (reading.kind === 'key-value') {
    return `the connection string is not a valid URL (it is in key=value form: ${reading.shown}); write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE and ${encode}`;
  }
  if (reading.kind === 'invalid') {
    return `the connection string is not a valid URL${reading.scheme ? ` (it starts with ${reading.scheme}://)` : ''}; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE and ${encode}`;
  }
  // A `#` or a space has no place in a PostgreSQL URL: unencoded in a password, it silently moves where the URL is
  // cut (`postgres://u:12#34@db` names the host u, port 12).
  if (/[#\s]/.test(connectionString)) return `the connection string is not a valid URL (${reading.shown}): it holds an unencoded # or space; ${encode}`;
  try {
    new URL(connectionString);
  } catch {
    return `the connection string is not a valid URL (${reading.shown}); ${encode}`;
  }
  return null;
}

// Secrets of the connection strings this process uses: every message that leaves roster is scrubbed of them, so a
// driver or server message that quotes one never shows it.
const rememberedSecrets = new Set<string>();

/** Remembers the secrets in `connectionString` so {@link redactSecrets} and {@link rootMessage} remove them everywhere. */
export function rememberConnectionSecrets(connectionString: string): void {
  for (const secret of secretsOf(connectionString)) rememberedSecrets.add(secret);
}

/**
 * `text` with every credential it may hold replaced by `***`: the secrets of `connectionString` (when given) and of
 * every connection string remembered with {@link rememberConnectionSecrets}, and any `scheme://user:password@` or
 * `password=…` it contains.
 */
export function redactSecrets(text: string, connectionString?: string): string {
  const secrets = new Set(rememberedSecrets);
  if (connectionString !== undefined) for (const secret of secretsOf(connectionString)) secrets.add(secret);
  let result = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) result = result.split(secret).join(REDACTED);
  return result
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/g, `$1:${REDACTED}@`)
    .replace(/\b(password|passfile|sslpassword|sslkey)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'"]+)/gi, `$1$2${REDACTED}`);
}

/** The innermost message of an error chain, without any credential (see {@link redactSecrets}). */
export function rootMessage(error: unknown, connectionString?: string): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const message = current instanceof Error ? current.message : String(current);
  return redactSecrets(message, connectionString);
}

/** Every substring of `connectionString` that could be a credential, raw and percent-decoded, and the whole string. */
export function secretsOf(connectionString: string): string[] {
  const found = new Set<string>();
  const add = (value: string) => {
    if (value === '') return;
    found.add(value);
    try {
      const decoded = decodeURIComponent(value);
      if (decoded !== '') found.add(decoded);
    } catch {
      // Not percent-encoded text: the raw form is enough.
    }
  };
  add(connectionString);
  const scheme = SCHEME.exec(connectionString);
  if (scheme) {
    const rest = connectionString.slice(scheme[0].length);
    // Whatever follows a colon up to any `@` may be a password, however the rest is read.
    for (let at = rest.indexOf('@'); at !== -1; at = rest.indexOf('@', at + 1)) {
      const userInfo = rest.slice(0, at);
      const colon = userInfo.indexOf(':');
      if (colon !== -1) add(userInfo.slice(colon + 1));
    }
    const hash = rest.indexOf('#');
    if (hash !== -1) add(rest.slice(hash + 1));
    for (const [name, value] of queryParameters(rest)) if (!isShown(name, value)) add(value);
  } else {
    const pairs = keyValuePairs(connectionString);
    for (const [name, value, raw] of pairs ?? []) {
      if (!isShown(name, value)) {
        add(value);
        add(raw);
      }
    }
  }
  return [...found];
}

function readConnectionString(connectionString: string): Reading {
  const scheme = SCHEME.exec(connectionString);
  if (scheme) {
    const shown = readUrl(scheme[1]!, connectionString.slice(scheme[0].length));
    return shown === null ? { kind: 'invalid', scheme: namedScheme(scheme[1]!) } : { kind: 'url', shown };
  }
  const pairs = /^\s*[A-Za-z_]+\s*=/.test(connectionString) ? keyValuePairs(connectionString) : null;
  if (pairs !== null && pairs.length > 0) {
    return { kind: 'key-value', shown: pairs.map(([name, value]) => `${PARAMETER_NAME.test(name) ? name : REDACTED}=${isShown(name, value) ? value : REDACTED}`).join(' ') };
  }
  const prefix = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(connectionString);
  return { kind: 'invalid', scheme: prefix ? namedScheme(prefix[1]!) : null };
}

/** Only the schemes PostgreSQL knows are named: anything else before a colon could be part of a secret. */
function namedScheme(scheme: string): string | null {
  return /^postgres(ql)?$/i.test(scheme) ? scheme : null;
}

/**
 * `scheme://rest` shown safely, or null when it cannot be read as a URL. The user info ends at the last `@` whose
 * split leaves a plain user name and a valid host list, so an unencoded `@`, `#`, `/`, `?` or space in a password
 * stays inside what is hidden.
 */
function readUrl(scheme: string, rest: string): string | null {
  const ats: number[] = [];
  for (let at = rest.indexOf('@'); at !== -1; at = rest.indexOf('@', at + 1)) ats.push(at);
  for (const at of [...ats.reverse(), -1]) {
    const userInfo = at === -1 ? null : rest.slice(0, at);
    let shownUser = '';
    if (userInfo !== null) {
      const colon = userInfo.indexOf(':');
      const user = colon === -1 ? userInfo : userInfo.slice(0, colon);
      if (!SAFE_USER.test(user)) continue;
      shownUser = `${user}${colon === -1 ? '' : `:${REDACTED}`}@`;
    }
    const location = readLocation(rest.slice(at + 1));
    if (location !== null) return `${scheme}://${shownUser}${location}`;
  }
  return null;
}

/** `host[:port][,host[:port]…][/database][?parameters]` shown safely (a fragment is dropped), or null. */
function readLocation(text: string): string | null {
  const hash = text.indexOf('#');
  const withoutFragment = hash === -1 ? text : text.slice(0, hash);
  const end = withoutFragment.search(/[/?]/);
  const authority = end === -1 ? withoutFragment : withoutFragment.slice(0, end);
  if (!authority.split(',').every((host) => HOST.test(host))) return null;
  let shown = authority;
  let remainder = end === -1 ? '' : withoutFragment.slice(end);
  if (remainder.startsWith('/')) {
    const queryStart = remainder.indexOf('?');
    const path = remainder.slice(1, queryStart === -1 ? undefined : queryStart);
    shown += `/${SAFE_PATH.test(path) ? path : REDACTED}`;
    remainder = queryStart === -1 ? '' : remainder.slice(queryStart);
  }
  if (remainder.startsWith('?')) {
    const parameters = remainder
      .slice(1)
      .split('&')
      .filter((part) => part !== '')
      .map((part) => {
        const equals = part.indexOf('=');
        const name = equals === -1 ? part : part.slice(0, equals);
        const value = equals === -1 ? '' : part.slice(equals + 1);
        if (!PARAMETER_NAME.test(name)) return REDACTED;
        return isShown(name, value) ? part : `${name}=${REDACTED}`;
      });
    if (parameters.length > 0) shown += `?${parameters.join('&')}`;
  }
  return shown;
}

function isShown(name: string, value: string): boolean {
  return SHOWN_PARAMETERS.has(name.toLowerCase()) && SAFE_VALUE.test(value);
}

/** The `name=value` parameters of a URL's query (everything after the first `?`, fragment included). */
function queryParameters(rest: string): [string, string][] {
  const question = rest.indexOf('?');
  if (question === -1) return [];
  return rest
    .slice(question + 1)
    .split(/[&#]/)
    .map((part): [string, string] => {
      const equals = part.indexOf('=');
      return equals === -1 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)];
    });
}

/**
 * The pairs of a libpq key=value connection string (`host=db password='a b'`), each with its value as written,
 * or null when it is not one. Quoted values may hold spaces and `\'`, `\\` escapes.
 */
function keyValuePairs(text: string): [name: string, value: string, raw: string][] | null {
  const pairs: [string, string, string][] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return pairs;
    const nameStart = i;
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i]!)) i++;
    const name = text.slice(nameStart, i);
    skipSpace();
    if (text[i] !== '=' || name === '') return null;
    i++;
    skipSpace();
    let value = '';
    const rawStart = i;
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) return null;
        const c = text[i]!;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
    } else {
      const valueStart = i;
      while (i < text.length && !/\s/.test(text[i]!)) i++;
      value = text.slice(valueStart, i);
    }
    pairs.push([name, value, text.slice(rawStart, i)]);
  }
}
