import type { Grant } from './types.js';

/** The grants the token endpoint knows. */
export interface Grants {
  find(type: string): Grant | undefined;
  /** In order, for `grant_types_supported` in the discovery document. */
  types(): string[];
}

/**
 * client_credentials, which is oauth's own, then the grants other features provide (the
 * sessions feature's refresh_token), handed in by app/ so that oauth imports none of them. A
 * new grant is one file in its feature and one line of wiring.
 */
export function tokenGrants(own: Grant, provided: readonly Grant[]): Grants {
  const grants = [own, ...provided];
  const byType = new Map(grants.map((grant) => [grant.type, grant]));
  return {
    find: (type) => byType.get(type),
    types: () => grants.map((grant) => grant.type),
  };
}
