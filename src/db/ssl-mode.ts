/**
 * `sslmode` in a connection string, as roster's driver takes it. The driver knows `disable`, `no-verify` (encrypted,
 * certificate not checked) and `require`, which — unlike libpq's `require` — verifies the server's certificate and
 * host name, as libpq's `verify-full` does. So `verify-full` is read as `require`; modes the driver cannot honour are
 * refused with what to write instead, never passed on to fail as a schema dump.
 */

const SUPPORTED = new Set(['disable', 'no-verify', 'require']);

/** The connection string to give the driver, or a sentence saying why its `sslmode` cannot be honoured. */
export function driverSslMode(url: string): { readonly url: string } | { readonly problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const mode = parsed.searchParams.get('sslmode');
  if (mode === null || SUPPORTED.has(mode)) return { url };
  if (mode === 'verify-full') {
    parsed.searchParams.set('sslmode', 'require');
    return { url: parsed.toString() };
  }
  const shown = mode.replace(/[^\w.-]/g, '?').slice(0, 40);
  const instead =
    mode === 'verify-ca'
      ? 'use sslmode=verify-full (the certificate and the host name are checked)'
      : mode === 'prefer' || mode === 'allow'
        ? 'roster never falls back to an unencrypted connection on its own: use sslmode=verify-full (encrypted and verified), sslmode=no-verify (encrypted, not verified) or sslmode=disable'
        : 'use sslmode=verify-full, require, no-verify or disable';
  return { problem: `sslmode=${shown} in the connection string is not supported; ${instead}` };
}
