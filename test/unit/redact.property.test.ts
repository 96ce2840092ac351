/**
 * Connection strings never leak their credentials: for random passwords (reserved URL characters, spaces, Unicode)
 * written into every form a connection string takes, what roster shows of it never contains the password.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionStringProblem, redactSecrets, redactUrl, rootMessage } from '../../src/db/redact.ts';
import { testSize } from '../support/scale.ts';

/** Characters that break naive URL handling, plus ordinary and non-ASCII ones. */
const TRICKY = ['@', '#', ':', '/', '?', '%', ' ', '&', '=', "'", '\\', '"', ',', '[', ']', 'é', '✓', '中', '\u{1F511}', 'a', 'Z', '7', '-', '.', '_'];

const password = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 })), { minLength: 6, maxLength: 24 })
  .map((parts) => parts.join(''));

/** Every way a password can be written into a connection string, raw and percent-encoded. */
const FORMS: readonly { name: string; build: (secret: string) => string }[] = [
  { name: 'user info, raw', build: (p) => `postgres://root:${p}@db.example.com:5432/app` },
  { name: 'user info, encoded', build: (p) => `postgres://root:${encodeURIComponent(p)}@db.example.com:5432/app` },
  { name: 'user info, no database', build: (p) => `postgresql://root:${p}@db.example.com` },
  { name: 'user info and query', build: (p) => `postgres://root:${p}@db.example.com/app?sslmode=require&application_name=x` },
  { name: 'password parameter, raw', build: (p) => `postgres://root@db.example.com/app?password=${p}` },
  { name: 'password parameter, encoded', build: (p) => `postgres://root@db.example.com/app?sslmode=require&password=${encodeURIComponent(p)}` },
  { name: 'passfile parameter', build: (p) => `postgres://root@db.example.com/app?passfile=${encodeURIComponent(p)}` },
  { name: 'sslpassword parameter', build: (p) => `postgres://root@db.example.com/app?sslpassword=${p}&sslmode=verify-full` },
  { name: 'sslkey parameter', build: (p) => `postgres://root@db.example.com/app?sslkey=${encodeURIComponent(p)}` },
  { name: 'unknown parameter', build: (p) => `postgres://root@db.example.com/app?options=${encodeURIComponent(p)}` },
  { name: 'fragment', build: (p) => `postgres://root@db.example.com/app#${p}` },
  { name: 'key=value, quoted', build: (p) => `host=db.example.com user=root password='${p.replace(/[\\']/g, (c) => `\\${c}`)}' dbname=app` },
  { name: 'key=value, unquoted', build: (p) => `host=db.example.com password=${p.replace(/\s/g, '')} dbname=app` },
  { name: 'key=value, sslpassword', build: (p) => `sslpassword=${p.replace(/\s/g, '')} host=db.example.com` },
  { name: 'not a URL', build: (p) => p },
  { name: 'scheme without slashes', build: (p) => `postgres:root:${p}@db.example.com` },
  { name: 'missing host', build: (p) => `postgres://root:${p}` },
  { name: 'another scheme', build: (p) => `${p}://root@db.example.com` },
];

/** What a redacted string is made of besides the password: a password found in it proves nothing. */
function visibleWithout(form: (secret: string) => string): string {
  return `${redactUrl(form(''))} ${connectionStringProblem(form('')) ?? ''} postgres://… (not a valid URL) a connection string *** db.example.com root app`;
}

describe('redacting connection strings', () => {
  for (const form of FORMS) {
    it(`never shows a password written as ${form.name}`, () => {
      fc.assert(
        fc.property(password, (secret) => {
          const raw = form.build(secret).replace(/\s+$/, '');
          const hidden = secret.replace(/\s/g, '');
          fc.pre(hidden.length >= 4 && !visibleWithout(form.build).includes(hidden) && !visibleWithout(form.build).includes(secret));
          const candidates = [secret, hidden, encodeURIComponent(secret)].filter((s) => s.length >= 4);
          const shown = [redactUrl(raw), connectionStringProblem(raw) ?? '', redactSecrets(`failed: ${raw}`, raw), rootMessage(new Error(`x ${raw}`), raw)];
          for (const text of shown) for (const candidate of candidates) expect(text).not.toContain(candidate);
        }),
        { numRuns: testSize('ROSTER_REDACT_RUNS', 150) },
      );
    });
  }

  it('keeps what helps to find the database', () => {
    expect(redactUrl('postgres://root:s3cret@db.example.com:5432/app?sslmode=require&application_name=roster')).toBe(
      'postgres://root:***@db.example.com:5432/app?sslmode=require&application_name=roster',
    );
    expect(redactUrl('postgres://root@db.example.com/app?password=x1&sslpassword=x2&passfile=x3&sslkey=x4')).toBe(
      'postgres://root@db.example.com/app?password=***&sslpassword=***&passfile=***&sslkey=***',
    );
    expect(redactUrl('postgres://root:p ss#w@rd@db.example.com/app')).toBe('postgres://root:***@db.example.com/app');
    expect(redactUrl('postgres://db.example.com/app?user=ops@example.com')).toBe('postgres://db.example.com/app?user=ops@example.com');
    expect(redactUrl('postgres://h1:5432,h2:5433/app')).toBe('postgres://h1:5432,h2:5433/app');
    expect(redactUrl("host=db user=root password='a b' dbname=app")).toBe('host=db user=root password=*** dbname=app');
    expect(redactUrl('nonsense with secret')).toBe('a connection string (not a valid URL)');
    expect(redactUrl('postgres://root:secret')).toBe('postgres://… (not a valid URL)');
  });

  it('explains a connection string roster cannot read, naming at most its scheme', () => {
    expect(connectionStringProblem('postgres://root:p ss#w@rd@db.example.com/app')).toMatch(
      /^the connection string is not a valid URL \(postgres:\/\/root:\*\*\*@db\.example\.com\/app\): it holds an unencoded # or space; percent-encode/,
    );
    expect(connectionStringProblem('host=db password=secret')).toMatch(/key=value form: host=db password=\*\*\*\); write it as postgres:\/\//);
    expect(connectionStringProblem('just some text')).toMatch(/^the connection string is not a valid URL; write it as/);
    expect(connectionStringProblem('postgres://root:s3cret@db.example.com/app')).toBeNull();
    // Where WHATWG and libpq would cut it differently (host "root", port 12), it is refused rather than misread.
    expect(connectionStringProblem('postgres://root:12#34@db.example.com/app')).toMatch(/unencoded # or space/);
  });

  it('removes credentials from messages that quote any connection string', () => {
    expect(redactSecrets('could not use mysql://admin:hunter22@x and password=hunter33 here')).toBe('could not use mysql://admin:***@x and password=*** here');
  });
});
