/** fast-check generators of valid organizations: what validation would accept, as desired or as stored state. */
import fc from 'fast-check';
import { PERMISSIONS, type Permission } from '../../src/model/permissions.ts';
import type { OrgState, UserSpec } from '../../src/model/state.ts';

export const COMPANY_KEYS = ['hq', 'eu', 'us', 'apac'];
export const ROLE_KEYS = ['analyst', 'ops', 'auditor'];
export const LOCAL_PARTS = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal'];
const NAMES = ['Ann', 'Bob', "O'Brien", 'Zoë', 'Li', 'Smith', 'Müller', 'x; drop table users; --'];

const permissions = fc.uniqueArray(fc.constantFrom<Permission>(...PERMISSIONS), { maxLength: 4 });
const caseOf = (email: string) => fc.constantFrom(email, email.toUpperCase(), email[0]!.toUpperCase() + email.slice(1));

/** A valid organization state. With `former`, users may carry formerEmails (desired state). */
export function orgState(options: { former: boolean }): fc.Arbitrary<OrgState> {
  return fc
    .record({
      name: fc.constantFrom('Acme', 'Acme Inc.', 'Ācme'),
      companies: fc.subarray(COMPANY_KEYS, { minLength: 1 }),
      companyNames: fc.array(fc.constantFrom('One', 'Two'), { minLength: 4, maxLength: 4 }),
      roles: fc.subarray(ROLE_KEYS),
      rolePermissions: fc.array(permissions, { minLength: 3, maxLength: 3 }),
      roleDescriptions: fc.array(fc.option(fc.constantFrom('Reads', 'Writes'), { nil: null }), { minLength: 3, maxLength: 3 }),
      // Each local part is used at most once: as a user's email, or as one former email.
      people: fc.uniqueArray(fc.constantFrom(...LOCAL_PARTS), { maxLength: LOCAL_PARTS.length }),
      seeds: fc.array(
        fc.record({ first: fc.constantFrom(...NAMES), last: fc.constantFrom(...NAMES), active: fc.boolean(), roleIndex: fc.nat(), companyIndex: fc.nat(), formerCount: fc.nat({ max: 2 }) }),
        { minLength: LOCAL_PARTS.length, maxLength: LOCAL_PARTS.length },
      ),
      cases: fc.array(fc.nat({ max: 2 }), { minLength: LOCAL_PARTS.length, maxLength: LOCAL_PARTS.length }),
    })
    .map(({ name, companies, companyNames, roles, rolePermissions, roleDescriptions, people, seeds, cases }) => {
      const roleKeys = ['viewer', 'admin', ...roles];
      const users: UserSpec[] = [];
      const pool = [...people];
      let i = 0;
      while (pool.length > 0) {
        const local = pool.shift()!;
        const seed = seeds[i]!;
        const former = options.former ? pool.splice(0, Math.min(seed.formerCount, Math.max(0, pool.length - 1))) : [];
        const email = `${local}@acme.com`;
        const variant = cases[i]!;
        users.push({
          email: variant === 0 ? email : variant === 1 ? email.toUpperCase() : email[0]!.toUpperCase() + email.slice(1),
          firstName: seed.first,
          lastName: seed.last,
          role: roleKeys[seed.roleIndex % roleKeys.length]!,
          company: companies[seed.companyIndex % companies.length]!,
          active: seed.active,
          formerEmails: former.map((f) => `${f}@acme.com`),
          initialPassword: null,
          resetPassword: null,
        });
        i++;
      }
      return {
        organization: { key: 'acme', name },
        companies: companies.map((key, k) => ({ key, name: companyNames[k]! })),
        roles: roles.map((key, k) => ({ key, name: `Role ${key}`, description: roleDescriptions[k]!, permissions: rolePermissions[k]! })),
        users,
      };
    });
}

export { caseOf };
