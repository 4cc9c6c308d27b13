import type { DetectorCommon } from '../config.js';
import type { DetectionContext, DetectionInput, Entity, Finding } from '../types.js';
import { invariantFinding, NONE, type EngineDetector } from './common.js';

/**
 * DPoP (RFC 9449) broken: a bound session or token presented with a proof from another key
 * (§4.3: the proof key must match `cnf.jkt`), or a proof's `jti` seen twice (§11.1: proofs are
 * single-use). Either means someone holds a token without its key, or is replaying captured
 * proofs. Certain, no learning.
 */
export class DpopMismatchDetector implements EngineDetector {
  readonly name = 'dpop_mismatch';
  readonly approxBytes = 0;

  constructor(private readonly config: DetectorCommon) {}

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'dpop.key_mismatch' && input.type !== 'dpop.proof_replayed') return NONE;
    const detail =
      input.type === 'dpop.key_mismatch'
        ? { kind: 'key_mismatch', expected_jkt: short(input.expected_jkt), presented_jkt: short(input.presented_jkt) }
        : { kind: 'proof_replayed', jkt: short(input.jkt) };
    const evidence = {
      ...detail,
      ...(input.session_id && input.subject ? { user_id: input.subject } : {}),
      ...(input.client_id ? { client_id: input.client_id } : {}),
    };
    return invariantFinding(this.name, this.config, entityOf(input), input, context, evidence, 'high');
  }
}

/** The session when known, else the user, the client, the network. */
function entityOf(input: DetectionInput & { session_id?: string }): Entity {
  if (input.session_id) return { kind: 'session', id: input.session_id };
  if (input.subject) return { kind: 'user', id: input.subject };
  if (input.client_id) return { kind: 'client', id: input.client_id };
  return { kind: 'prefix', id: input.network?.ip_prefix ?? 'unknown' };
}

/** Key thumbprints (RFC 7638) are public, but a prefix is enough to tell keys apart. */
function short(jkt: string): string {
  return jkt.slice(0, 12);
}
