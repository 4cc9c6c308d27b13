/**
 * Console operators, as other features use them: the admin API's one access check
 * (`AdminAccess.requireAdmin`, which every /admin/api/* route takes as its preHandler) and who
 * called it. How app/ builds the feature and mounts its routes is in feature.ts.
 */
export type { AdminAccess, AdminCheck } from './access.js';
export type { AdminActor, AdminLevel, OperatorAccounts } from './types.js';
