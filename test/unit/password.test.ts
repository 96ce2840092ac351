import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSuppliedHash, hashPassword, verifyPassword } from '../../src/secrets/password.ts';

/** 16 and 32 bytes, base64 without padding: the smallest salt and key a supplied hash may have. */
const SALT16 = Buffer.alloc(16, 7).toString('base64').replace(/=+$/, '');
const KEY32 = Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '');
const argon = (params: string, salt = SALT16, key = KEY32) => `$argon2id$v=19$${params}$${salt}$${key}`;
const scryptHash = (params: string, salt = SALT16, key = KEY32) => `$scrypt$${params}$${salt}$${key}`;

/**
 * Hashes made by another implementation: the Argon2 reference implementation (phc-winner-argon2, as packaged by
 * Debian: `echo -n PASSWORD | argon2 SALT -id -t T -k M -p P -l 32 -e`). The first is also the argon2id vector of the
 * reference implementation's own test suite (src/test.c).
 */
const REFERENCE_VECTORS: readonly { password: string; hash: string; acceptedAsSupplied: boolean }[] = [
  { password: 'password', hash: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', acceptedAsSupplied: false },
  { password: 'correct horse battery staple', hash: '$argon2id$v=19$m=19456,t=2,p=1$cm9zdGVyLXNhbHQtMTZieQ$lMBVtyCiqey0FUfwYFAQakxtpvEGk1+TM+ciC6qLleg', acceptedAsSupplied: true },
  { password: 'Pässwörd ✓', hash: '$argon2id$v=19$m=7168,t=5,p=1$YW5vdGhlci1zYWx0LTE2Yg$B0kTjMxzD9a5oe6sAuUGB1zvpuakfz2c5SsQOnUujPQ', acceptedAsSupplied: true },
  { password: 'password', hash: '$argon2id$v=19$m=47104,t=1,p=4$cm9zdGVyLXNhbHQtMTZieQ$sJlerdavjK4h3I+4tnxe/b0TSVpRgx5rOeFafEamxfw', acceptedAsSupplied: true },
];

describe('passwords', () => {
  it('hashes with scrypt at OWASP parameters in PHC format, salted, and verifies', async () => {
    const [a, b] = await Promise.all([hashPassword('pässword ✓'), hashPassword('pässword ✓')]);
    expect(a).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('pässword ✓', a)).toBe(true);
    expect(await verifyPassword('pa\u0308ssword ✓', a)).toBe(true); // the same text in another Unicode form
    expect(await verifyPassword('password ✓', a)).toBe(false);
    expect(checkSuppliedHash(a)).toBeNull();
  });

  it.each(REFERENCE_VECTORS)('verifies an argon2id hash made by the reference implementation: $hash', async ({ password, hash, acceptedAsSupplied }) => {
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword(`${password}x`, hash)).toBe(false);
    expect(checkSuppliedHash(hash) === null).toBe(acceptedAsSupplied);
  });

  it('verifies an argon2id password given in another Unicode form', async () => {
    expect(await verifyPassword('Pa\u0308sswo\u0308rd ✓', REFERENCE_VECTORS[2]!.hash)).toBe(true);
  });

  it('verifies nothing against a malformed, foreign or unaffordable hash, without throwing', async () => {
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=99,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=17,r=8,p=1$A$A')).toBe(false);
    expect(await verifyPassword('x', argon('m=19456,t=2,p=1', SALT16, 'aGFzaA'))).toBe(false);
    expect(await verifyPassword('x', argon('m=4194304,t=1,p=1'))).toBe(false);
    expect(await verifyPassword('x', '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012')).toBe(false);
  });

  it.each([
    // Broken or weak scrypt.
    [scryptHash('ln=17,r=8,p=1', 'A', 'A'), /not base64|salt of 0 bytes/],
    [scryptHash('ln=17,r=8,p=1', '', ''), /salt of 0 bytes/],
    [scryptHash('ln=99,r=8,p=1'), /cannot be verified in practice/],
    [scryptHash('ln=21,r=8,p=1'), /cannot be verified in practice/],
    [scryptHash('ln=16,r=8,p=1'), /weaker than OWASP/],
    [scryptHash('ln=17,r=4,p=1'), /weaker than OWASP/],
    [scryptHash('ln=17,r=8,p=1', 'c2FsdA'), /salt of 4 bytes; at least 16/],
    [scryptHash('ln=17,r=8,p=1', SALT16, Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '')), /key of 16 bytes; at least 32/],
    // Broken or weak argon2id.
    [argon('m=19456,t=2,p=1', 'YWJj'), /salt of 3 bytes; at least 16/],
    [argon('m=19456,t=2,p=99'), /cannot be verified in practice/],
    [argon('m=8,t=4864,p=1'), /cannot be verified in practice|weaker than OWASP/],
    [argon('m=1,t=38912,p=1'), /cannot be verified in practice|weaker than OWASP/],
    [argon('m=19455,t=2,p=1'), /weaker than OWASP/],
    [argon('m=47103,t=1,p=1'), /weaker than OWASP/],
    [argon('m=7168,t=4,p=1'), /weaker than OWASP/],
    [argon('m=4194304,t=1,p=1'), /cannot be verified in practice/],
    [argon('m=19456,t=2,p=1', SALT16, 'aGFzaGhhc2g'), /key of 8 bytes/],
    ['$2b$12$abcdefghijklmnopqrstuu', /not a PHC string/],
    ['$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', /not a PHC string/],
    // OWASP's own configurations, and stronger ones.
    [argon('m=47104,t=1,p=1'), null],
    [argon('m=19456,t=2,p=1'), null],
    [argon('m=12288,t=3,p=1'), null],
    [argon('m=9216,t=4,p=1'), null],
    [argon('m=7168,t=5,p=1'), null],
    [argon('m=65536,t=3,p=4'), null],
    [scryptHash('ln=17,r=8,p=1'), null],
    [scryptHash('ln=20,r=8,p=1'), null],
  ])('judges a supplied hash %s', (hash, expected) => {
    const result = checkSuppliedHash(hash);
    if (expected === null) expect(result).toBeNull();
    else {
      expect(result).toMatch(expected);
      expect(result).not.toContain(hash);
    }
  });

  it('verifies every argon2id hash it accepts (parameters at the bounds)', async () => {
    const argon2 = await import('@node-rs/argon2');
    for (const [m, t, p] of [[7168, 5, 1], [47104, 1, 2], [9216, 4, 16]] as const) {
      const hash = await argon2.hash('bound check', { algorithm: 2, memoryCost: m, timeCost: t, parallelism: p, outputLen: 32, salt: Buffer.alloc(16, 3) });
      expect(checkSuppliedHash(hash)).toBeNull();
      expect(await verifyPassword('bound check', hash)).toBe(true);
    }
  });

  it('accepts only hashes that verify: random parameters judged acceptable always verify', async () => {
    const argon2 = await import('@node-rs/argon2');
    const accepted: { m: number; t: number; p: number }[] = [];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80_000 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), (m, t, p) => {
        if (checkSuppliedHash(argon(`m=${m},t=${t},p=${p}`)) === null && accepted.length < 3) accepted.push({ m, t, p });
      }),
      { numRuns: 2000, seed: 16 },
    );
    expect(accepted.length).toBeGreaterThan(0);
    for (const { m, t, p } of accepted) {
      const hash = await argon2.hash('random parameters', { algorithm: 2, memoryCost: m, timeCost: t, parallelism: p, outputLen: 32, salt: Buffer.alloc(16, 5) });
      expect(await verifyPassword('random parameters', hash), hash).toBe(true);
    }
  });
});
