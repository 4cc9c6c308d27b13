import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CoreConfig } from '../config/index.js';
import { dpopHeaderValue, type DpopVerifier, type DpopViolation } from '../dpop/index.js';
import type { EventBus } from '../events/bus.js';
import { networkField } from '../shared/network.js';

/** What binding tokens to DPoP keys takes: the verifier, the issuer for `htu`, and the bus for violations. */
export interface DpopBindingDeps {
  dpop: DpopVerifier;
  events: EventBus;
  issuer: () => string;
  now: () => number;
  config: Pick<CoreConfig, 'dpopRequireNonce'>;
}

/** The public URL of this request, as a DPoP proof's `htu` must name it (from the issuer, not Host). */
export function publicUrl(deps: Pick<DpopBindingDeps, 'issuer'>, request: FastifyRequest): string {
  return `${deps.issuer()}${request.url.split('?')[0]}`;
}

/** Who a DPoP proof was presented for, as far as the caller knows. */
export interface DpopSubject {
  session_id?: string;
  client_id?: string;
  subject?: string;
}

/**
 * Turns a proof from the wrong key or a replayed proof into its domain event
 * (`dpop.key_mismatch`, `dpop.proof_replayed`) for the anomaly detectors; the request still
 * fails as RFC 9449 says.
 */
export function dpopViolationReporter(
  deps: Pick<DpopBindingDeps, 'events' | 'now'>,
  request: FastifyRequest,
  who: DpopSubject = {},
): (violation: DpopViolation) => void {
  return (violation) => {
    const base = { time: deps.now(), ...who, ...networkField(request.ip) };
    if (violation.kind === 'key_mismatch') {
      deps.events.emit('dpop.key_mismatch', { ...base, expected_jkt: violation.expectedJkt, presented_jkt: violation.presentedJkt });
    } else {
      deps.events.emit('dpop.proof_replayed', { ...base, jkt: violation.jkt });
    }
  };
}

/**
 * DPoP at a token-issuing endpoint (RFC 9449 §5): a request with a proof gets tokens bound to
 * the proof's key. Returns the key thumbprint, or undefined when the request has no proof
 * (whether one is required is the grant's decision).
 */
export async function verifyTokenRequestProof(deps: DpopBindingDeps, request: FastifyRequest): Promise<string | undefined> {
  const proof = dpopHeaderValue(request.headers);
  if (proof === undefined) return undefined;
  const { jkt } = await deps.dpop.verify(proof, {
    htm: request.method,
    htu: publicUrl(deps, request),
    requireNonce: deps.config.dpopRequireNonce,
    onViolation: dpopViolationReporter(deps, request),
  });
  return jkt;
}

/** With nonces on, every token response carries a fresh one, saving the client a retry (§8.2). */
export function advertiseDpopNonce(deps: Pick<DpopBindingDeps, 'dpop' | 'config'>, reply: FastifyReply): void {
  if (deps.config.dpopRequireNonce) reply.header('DPoP-Nonce', deps.dpop.nonces.current());
}
