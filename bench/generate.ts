/** Synthetic organizations for the benchmark: 50 companies, 20 custom roles, N users, in two layouts. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COMPANIES = 50;
export const ROLES = 20;
const PERMISSIONS = ['view_dashboards', 'run_workflows', 'create_dashboards', 'edit_dashboards', 'manage_workflows', 'view_all_companies'];

export interface Variant {
  /** Change the last name of every tenth user. */
  readonly edit?: boolean;
  /** Leave out every tenth user (they are deactivated). */
  readonly drop?: boolean;
}

function keep(i: number, variant: Variant): boolean {
  return !(variant.drop && i % 10 === 5);
}

function userLines(i: number, variant: Variant): string[] {
  const last = variant.edit && i % 10 === 3 ? `Edited${i}` : `Last${i}`;
  return [
    `  - email: user.${i}@bench.example`,
    `    firstName: First${i}`,
    `    lastName: ${last}`,
    `    role: ${i === 0 ? 'admin' : `role-${i % ROLES}`}`,
    `    company: company-${i % COMPANIES}`,
  ];
}

function header(): string[] {
  const lines = ['organization:', '  key: bench', '  name: Bench Inc.', 'companies:'];
  for (let c = 0; c < COMPANIES; c++) lines.push(`  - key: company-${c}`, `    name: Company ${c}`);
  lines.push('roles:');
  for (let r = 0; r < ROLES; r++) lines.push(`  - key: role-${r}`, `    name: Role ${r}`, `    permissions: [${PERMISSIONS.slice(0, 1 + (r % PERMISSIONS.length)).join(', ')}]`);
  return lines;
}

/** Writes `users` users as one file per company (plus organization.yaml) under `dir`. */
export function writePerCompany(dir: string, users: number, variant: Variant = {}): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'organization.yaml'), header().join('\n') + '\n');
  const files: string[][] = Array.from({ length: COMPANIES }, () => ['users:']);
  for (let i = 0; i < users; i++) if (keep(i, variant)) files[i % COMPANIES]!.push(...userLines(i, variant));
  files.forEach((lines, c) => writeFileSync(join(dir, `company-${c}.yaml`), lines.length > 1 ? lines.join('\n') + '\n' : 'users: []\n'));
}

/** Writes everything as one file under `dir`. */
export function writeSingleFile(dir: string, users: number, variant: Variant = {}): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = [...header(), 'users:'];
  for (let i = 0; i < users; i++) if (keep(i, variant)) lines.push(...userLines(i, variant));
  writeFileSync(join(dir, 'organization.yaml'), lines.join('\n') + '\n');
}

/** The users as CSV rows for the COPY floor: email, first name, last name. */
export function usersCsv(users: number): string {
  const rows: string[] = [];
  for (let i = 0; i < users; i++) rows.push(`user.${i}@bench.example,First${i},Last${i}`);
  return rows.join('\n') + '\n';
}
