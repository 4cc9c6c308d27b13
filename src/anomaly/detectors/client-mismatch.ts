import type { DetectorCommon } from '../config.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { invariantFinding, NONE, type EngineDetector } from './common.js';

/**
 * A session token was presented by another client than the one it was issued to. A refresh
 * token is bound to its client (RFC 6749 §6, §10.4), so this is a token carried off to another
 * application: certain, no learning.
 */
export class ClientMismatchDetector implements EngineDetector {
  readonly name = 'client_mismatch';
  readonly approxBytes = 0;

  constructor(private readonly config: DetectorCommon) {}

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'session.client_mismatch') return NONE;
    const evidence = {
      session_client_id: input.session_client_id,
      ...(input.client_id ? { presenting_client_id: input.client_id } : {}),
      ...(input.subject ? { user_id: input.subject } : {}),
    };
    return invariantFinding(this.name, this.config, { kind: 'session', id: input.session_id }, input, context, evidence, 'high');
  }
}
