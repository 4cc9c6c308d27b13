import type { DetectorCommon } from '../config.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, NONE, networkEvidence, type EngineDetector } from './common.js';

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
    return [
      finding(
        this.name,
        this.config,
        { kind: 'session', id: input.session_id },
        input.time,
        1,
        {
          presented_generation: input.presented_generation,
          current_generation: input.current_generation,
          ...(input.subject ? { user_id: input.subject } : {}),
          ...(input.client_id ? { client_id: input.client_id } : {}),
          ...networkEvidence(input, context),
        },
        'critical',
      ),
    ];
  }
}
