/** The field descriptors (src/model/fields.ts), roster.schema.json and plan.schema.json describe the same fields. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPANY_FIELDS, ORGANIZATION_FIELDS, ROLE_FIELDS, USER_FIELDS, type FieldDescriptor } from '../../src/model/fields.ts';

type Schema = { properties: Record<string, { $ref?: string }>; required?: string[]; items?: Schema; definitions?: Record<string, Schema> };
const read = (name: string): Schema => JSON.parse(readFileSync(new URL(`../../schema/${name}`, import.meta.url), 'utf8'));
const roster = read('roster.schema.json');
const plan = read('plan.schema.json');

/** What each entity's item holds besides its described fields: its identity and life cycle. */
const ENTITIES: readonly { section: string; item: Schema; fields: readonly FieldDescriptor[]; own: readonly string[] }[] = [
  { section: 'organization', item: roster.properties.organization as Schema, fields: ORGANIZATION_FIELDS, own: ['key', 'unmanagedUsers'] },
  { section: 'companies', item: (roster.properties.companies as Schema).items!, fields: COMPANY_FIELDS, own: ['key'] },
  { section: 'roles', item: (roster.properties.roles as Schema).items!, fields: ROLE_FIELDS, own: ['key'] },
  { section: 'users', item: (roster.properties.users as Schema).items!, fields: USER_FIELDS, own: ['email', 'active', 'formerEmails', 'initialPassword', 'resetPassword'] },
];

describe('field descriptors', () => {
  for (const { section, item, fields, own } of ENTITIES) {
    it(`describe every field of ${section} in roster.schema.json, required exactly when not optional`, () => {
      const described = fields.map((f) => f.name).sort();
      const written = Object.keys(item.properties).filter((name) => !own.includes(name)).sort();
      expect(written).toEqual(described);
      for (const field of fields) expect(item.required?.includes(field.name) ?? false, field.name).toBe(!field.optional);
    });
  }

  it('name every field a plan can change in plan.schema.json, lists as permission changes', () => {
    const change = plan.definitions!.change!;
    const planFields = (change.properties.fields as Schema).properties;
    const described = new Map<string, FieldDescriptor>();
    for (const field of [...ORGANIZATION_FIELDS, ...COMPANY_FIELDS, ...ROLE_FIELDS, ...USER_FIELDS]) described.set(field.name, field);
    expect(Object.keys(planFields).sort()).toEqual([...described.keys(), 'email', 'resetPassword'].sort());
    for (const [name, field] of described) {
      expect(planFields[name]!.$ref, name).toBe(field.type === 'permissions' ? '#/definitions/permissionsChange' : '#/definitions/textChange');
    }
  });

  it('give each stored field a column of its own, references naming the table they point into', () => {
    for (const { fields } of ENTITIES) {
      const columns = fields.flatMap((f) => (f.column === null ? [] : [f.column]));
      expect(new Set(columns).size).toBe(columns.length);
      for (const field of fields) expect(field.type === 'reference', field.name).toBe('references' in field);
    }
  });
});
