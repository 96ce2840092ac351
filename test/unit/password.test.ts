import { describe, expect, it } from 'vitest';
import { checkSuppliedHash, hashPassword, verifyPassword } from '../../src/secrets/password.ts';

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

  it('verifies nothing against a malformed or foreign hash, without throwing', async () => {
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=99,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
    expect(await verifyPassword('x', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA')).toBe(false);
  });

  it.each([
    ['$scrypt$ln=16,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g', /weaker/],
    ['$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', /weaker/],
    ['$2b$12$abcdefghijklmnopqrstuu', /not a PHC string/],
    ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', null],
  ])('judges a supplied hash %s', (hash, expected) => {
    const result = checkSuppliedHash(hash);
    if (expected === null) expect(result).toBeNull();
    else {
      expect(result).toMatch(expected);
      expect(result).not.toContain(hash);
    }
  });
});
