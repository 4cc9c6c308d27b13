/**
 * Registered users, as other features use them: the merge strategies a client's guest settings
 * may name. How app/ builds the feature and mounts its routes is in feature.ts.
 */
export { readMergeStrategies, type MergeStrategies } from './merge/strategies.js';
