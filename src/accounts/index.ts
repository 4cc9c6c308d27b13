/**
 * Registered users, as other features use them: the merge strategies a client's guest settings
 * may name, and the login rate limits the console's sign-in shares. How app/ builds the
 * feature and mounts its routes is in feature.ts.
 */
export { loginAccountRule, loginIpRule, type LoginLimits } from './login-limits.js';
export { readMergeStrategies, type MergeStrategies } from './merge/strategies.js';
