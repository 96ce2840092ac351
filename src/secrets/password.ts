/**
 * Password hashing: scrypt at OWASP's recommended parameters (N=2^17, r=8, p=1), stored as a PHC string
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without padding) that the platform can verify.
 *
 * Supplied hashes (`initialPassword: { hash: … }`) may also be argon2id. Every hash {@link checkSuppliedHash} accepts
 * is one {@link verifyPassword} verifies: both read it with {@link parsePhc} and keep within the same cost bounds.
 * Passwords are compared in Unicode NFC form, so the same text typed on another system still matches.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const LOG_N = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** What a supplied hash must have at least (RFC 9106 and OWASP recommend 128-bit salts and 256-bit keys). */
const MIN_SALT_BYTES = 16;
const MIN_KEY_BYTES = 32;
/** What any hash may have at most: beyond this, the format allows it but nothing needs it. */
const MAX_SALT_BYTES = 64;
const MAX_KEY_BYTES = 64;

/**
 * Upper bounds on cost that a login server can still afford to verify (and that verifyPassword enforces, so a hash
 * cannot make a login take minutes or gigabytes): scrypt up to 1 GiB of memory, argon2id up to 2 GiB (RFC 9106's
 * largest recommendation) and 16 lanes.
 */
const SCRYPT_MAX_MEMORY = 1024 ** 3;
const SCRYPT_MAX_LOG_N = 20;
const SCRYPT_MAX_R = 32;
const SCRYPT_MAX_P = 16;
const ARGON2_MAX_MEMORY_KIB = 2 * 1024 * 1024;
const ARGON2_MAX_PASSES = 16;
const ARGON2_MAX_WORK_KIB = 4 * 1024 * 1024;
const ARGON2_MAX_LANES = 16;

/** OWASP's minimum for scrypt: N=2^17 with r=8, p=1. */
const SCRYPT_MIN_LOG_N = 17;
/** OWASP's argon2id configurations (memory in KiB, passes), each equally strong; a hash must meet one of them. */
const ARGON2_OWASP: readonly { m: number; t: number }[] = [
  { m: 47104, t: 1 },
  { m: 19456, t: 2 },
  { m: 12288, t: 3 },
  { m: 9216, t: 4 },
  { m: 7168, t: 5 },
];

/** A PHC string read into its parts; salt and key decoded. */
export type PhcHash =
  | { readonly algorithm: 'scrypt'; readonly logN: number; readonly r: number; readonly p: number; readonly salt: Buffer; readonly key: Buffer }
  | { readonly algorithm: 'argon2id'; readonly m: number; readonly t: number; readonly p: number; readonly salt: Buffer; readonly key: Buffer };

const PHC_SCRYPT = /^\$scrypt\$ln=(\d{1,3}),r=(\d{1,4}),p=(\d{1,4})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]*)$/;
const PHC_ARGON2ID = /^\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]*)$/;

/** Base64 without padding, decoded only when it is the canonical encoding of its bytes (else null). */
function decodeBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return b64(bytes) === text ? bytes : null;
}

const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');

/**
 * Reads a scrypt or argon2id (version 19) PHC string, or returns why it cannot be read. Checks the format and the
 * bounds every hash must keep to be verifiable (cost within what a server can afford, salt and key of sane size),
 * not the minimum strength (see {@link checkSuppliedHash}). The reason never contains the hash.
 */
export function parsePhc(phc: string): PhcHash | { problem: string } {
  const scryptMatch = PHC_SCRYPT.exec(phc);
  const argonMatch = scryptMatch ? null : PHC_ARGON2ID.exec(phc);
  const match = scryptMatch ?? argonMatch;
  if (!match) {
    return { problem: 'not a PHC string for scrypt ($scrypt$ln=…,r=…,p=…$salt$hash) or argon2id ($argon2id$v=19$m=…,t=…,p=…$salt$hash)' };
  }
  const name = scryptMatch ? 'scrypt' : 'argon2id';
  const salt = decodeBase64(match[4]!);
  const key = decodeBase64(match[5]!);
  if (salt === null || key === null) return { problem: `${name} hash has a salt or key that is not base64 without padding` };
  if (salt.length === 0 || salt.length > MAX_SALT_BYTES) return { problem: `${name} hash has a salt of ${salt.length} bytes (1 to ${MAX_SALT_BYTES} allowed)` };
  if (key.length < 16 || key.length > MAX_KEY_BYTES) return { problem: `${name} hash has a key of ${key.length} bytes (16 to ${MAX_KEY_BYTES} allowed)` };
  const [a, b, c] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (scryptMatch) {
    const [logN, r, p] = [a, b, c];
    if (logN < 1 || logN > SCRYPT_MAX_LOG_N || r < 1 || r > SCRYPT_MAX_R || p < 1 || p > SCRYPT_MAX_P || 128 * r * 2 ** logN > SCRYPT_MAX_MEMORY) {
      return { problem: `scrypt hash has a cost that cannot be verified in practice (at most ln=${SCRYPT_MAX_LOG_N}, r=${SCRYPT_MAX_R}, p=${SCRYPT_MAX_P} and 1 GiB of memory)` };
    }
    return { algorithm: 'scrypt', logN, r, p, salt, key };
  }
  const [m, t, p] = [a, b, c];
  if (p < 1 || p > ARGON2_MAX_LANES || t < 1 || t > ARGON2_MAX_PASSES || m < 8 * p || m > ARGON2_MAX_MEMORY_KIB || m * t > ARGON2_MAX_WORK_KIB) {
    return {
      problem:
        `argon2id hash has a cost that cannot be verified in practice (p from 1 to ${ARGON2_MAX_LANES}, t from 1 to ${ARGON2_MAX_PASSES}, ` +
        `m from 8·p to ${ARGON2_MAX_MEMORY_KIB} KiB, m·t at most ${ARGON2_MAX_WORK_KIB})`,
    };
  }
  return { algorithm: 'argon2id', m, t, p, salt, key };
}

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes `password` with a fresh random salt. Runs on libuv's thread pool, so several hashes proceed in parallel. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(password, salt, LOG_N, BLOCK_SIZE, PARALLELISM, KEY_LENGTH);
  return `$scrypt$ln=${LOG_N},r=${BLOCK_SIZE},p=${PARALLELISM}$${b64(salt)}$${b64(key)}`;
}

/**
 * True when `password` matches the PHC string `phc`: scrypt (as {@link hashPassword} makes) or argon2id version 19,
 * within the cost bounds of {@link parsePhc}. Returns false for a wrong password, a malformed hash, another
 * algorithm or a cost beyond those bounds; never throws for bad input. Compares in constant time.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const hash = parsePhc(phc);
  if ('problem' in hash) return false;
  try {
    if (hash.algorithm === 'scrypt') {
      const actual = await scryptAsync(password, hash.salt, hash.logN, hash.r, hash.p, hash.key.length);
      return timingSafeEqual(actual, hash.key);
    }
    // Loaded only when an argon2id hash is verified: a prebuilt native library, no install script.
    const argon2 = await import('@node-rs/argon2');
    return await argon2.verify(phc, password.normalize('NFC'));
  } catch {
    return false;
  }
}

/**
 * Why a supplied PHC hash is unacceptable, or null when it is a well-formed scrypt or argon2id hash at OWASP's
 * minimum strength (scrypt N=2^17, r=8, p=1; argon2id one of OWASP's memory and time pairs, or stronger in both),
 * with a salt of at least 16 bytes and a key of at least 32, that {@link verifyPassword} can verify.
 * The message never contains the hash.
 */
export function checkSuppliedHash(phc: string): string | null {
  const hash = parsePhc(phc);
  if ('problem' in hash) return hash.problem;
  if (hash.algorithm === 'scrypt' && (hash.logN < SCRYPT_MIN_LOG_N || hash.r < 8)) {
    return `scrypt hash is weaker than OWASP's minimum (ln=${SCRYPT_MIN_LOG_N}, r=8, p=1)`;
  }
  if (hash.algorithm === 'argon2id' && !ARGON2_OWASP.some((pair) => hash.m >= pair.m && hash.t >= pair.t)) {
    return `argon2id hash is weaker than OWASP's minimum (one of ${ARGON2_OWASP.map((pair) => `m=${pair.m},t=${pair.t}`).join('; ')}, or more of both)`;
  }
  if (hash.salt.length < MIN_SALT_BYTES) return `${hash.algorithm} hash has a salt of ${hash.salt.length} bytes; at least ${MIN_SALT_BYTES} are needed`;
  if (hash.key.length < MIN_KEY_BYTES) return `${hash.algorithm} hash has a key of ${hash.key.length} bytes; at least ${MIN_KEY_BYTES} are needed`;
  return null;
}
