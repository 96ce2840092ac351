// The package entry for plain JavaScript: loads the TypeScript sources through tsx, so no build step is needed.
import { tsImport } from 'tsx/esm/api';

const roster = await tsImport('./index.ts', import.meta.url);

export const {
  verifyPassword,
  hashPassword,
  loadConfig,
  plan,
  renderPlanText,
  renderPlanJson,
  PERMISSIONS,
  PREDEFINED_ROLES,
  ConfigError,
  UserError,
  InternalError,
  DatabaseError,
} = roster;
