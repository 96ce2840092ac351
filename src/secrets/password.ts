/**
 * Password hashing: scrypt at OWASP's recommended parameters (N=2^17, r=8, p=1), stored as a PHC string
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without padding) that the platform can verify.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const LOG_N = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** OWASP's minimum for scrypt: N=2^17 with r=8, p=1. Weaker supplied hashes are refused. */
const MIN_LOG_N = 17;

const PHC_SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const PHC_ARGON2ID = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');

/** Hashes `password` with a fresh random salt. Runs on libuv's thread pool, so several hashes proceed in parallel. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(password, salt, LOG_N, BLOCK_SIZE, PARALLELISM, KEY_LENGTH);
  return `$scrypt$ln=${LOG_N},r=${BLOCK_SIZE},p=${PARALLELISM}$${b64(salt)}$${b64(key)}`;
}

/**
 * True when `password` matches the PHC string `phc` produced by {@link hashPassword} (or any scrypt PHC string).
 * Returns false for a malformed hash or another algorithm; never throws for bad input.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const match = PHC_SCRYPT.exec(phc);
  if (!match) return false;
  const [, logN, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64');
  if (expected.length < 16 || Number(logN) > 22) return false;
  const actual = await scryptAsync(password, Buffer.from(salt!, 'base64'), Number(logN), Number(r), Number(p), expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * Why a supplied PHC hash is unacceptable, or null when it is a well-formed scrypt or argon2id hash at
 * OWASP's minimum strength. The message never contains the hash.
 */
export function checkSuppliedHash(phc: string): string | null {
  const scryptMatch = PHC_SCRYPT.exec(phc);
  if (scryptMatch) {
    const [, logN, r, p] = scryptMatch.map(Number);
    if (logN! < MIN_LOG_N || r! < 8 || p! < 1) return `scrypt hash is weaker than OWASP's minimum (ln=${MIN_LOG_N}, r=8, p=1)`;
    return null;
  }
  const argonMatch = PHC_ARGON2ID.exec(phc);
  if (argonMatch) {
    const [, m, t, p] = argonMatch.map(Number);
    // OWASP: m=19 MiB with t=2, or m=46 MiB with t=1 (and equivalent trade-offs), p=1.
    if (m! * t! < 19456 * 2 && !(m! >= 47104 && t! >= 1)) return "argon2id hash is weaker than OWASP's minimum (m=19456, t=2, p=1)";
    if (p! < 1) return 'argon2id hash has an invalid parallelism';
    return null;
  }
  return 'not a PHC string for scrypt ($scrypt$ln=…,r=…,p=…$salt$hash) or argon2id ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';
}
