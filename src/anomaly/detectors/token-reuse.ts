import type { DetectorCommon } from '../config.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { invariantFinding, NONE, type EngineDetector } from './common.js';

/**
 * A session token older than the session's current generation was presented: the token was
 * copied, and either the thief or the owner is replaying it (RFC 9700 §4.14.2). Certain, so
 * no learning and score 1; the session service has already revoked the session.
 */
export class TokenReuseDetector implements EngineDetector {
  readonly name = 'token_reuse';
  readonly approxBytes = 0;

  constructor(private readonly config: DetectorCommon) {}

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'token.reused') return NONE;
    const evidence = {
      presented_generation: input.presented_generation,
      current_generation: input.current_generation,
      ...(input.subject ? { user_id: input.subject } : {}),
      ...(input.client_id ? { client_id: input.client_id } : {}),
    };
    return invariantFinding(this.name, this.config, { kind: 'session', id: input.session_id }, input, context, evidence, 'critical');
  }
}
