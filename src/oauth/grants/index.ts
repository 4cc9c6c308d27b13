import { refreshTokenGrant } from '../../sessions/refresh-grant.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './types.js';

/** Every grant the token endpoint knows. A new grant is one file and one line here. */
const grants: Grant[] = [clientCredentialsGrant, refreshTokenGrant];

const byType = new Map(grants.map((grant) => [grant.type, grant]));

export function findGrant(type: string): Grant | undefined {
  return byType.get(type);
}

export function supportedGrantTypes(): string[] {
  return grants.map((grant) => grant.type);
}
