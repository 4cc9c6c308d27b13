import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { networkField } from '../shared/network.js';
import { dpopHeaderValue, type DpopViolation } from '../dpop/index.js';

/** The public URL of this request, as a DPoP proof's `htu` must name it (from the issuer, not Host). */
export function publicUrl(ctx: AppContext, request: FastifyRequest): string {
  return `${ctx.issuer.value}${request.url.split('?')[0]}`;
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
export function dpopViolationReporter(ctx: AppContext, request: FastifyRequest, who: DpopSubject = {}): (violation: DpopViolation) => void {
  return (violation) => {
    const base = { time: ctx.now(), ...who, ...networkField(request.ip) };
    if (violation.kind === 'key_mismatch') {
      ctx.events.emit('dpop.key_mismatch', { ...base, expected_jkt: violation.expectedJkt, presented_jkt: violation.presentedJkt });
    } else {
      ctx.events.emit('dpop.proof_replayed', { ...base, jkt: violation.jkt });
    }
  };
}

/**
 * DPoP at a token-issuing endpoint (RFC 9449 §5): a request with a proof gets tokens bound to
 * the proof's key. Returns the key thumbprint, or undefined when the request has no proof
 * (whether one is required is the grant's decision).
 */
export async function verifyTokenRequestProof(ctx: AppContext, request: FastifyRequest): Promise<string | undefined> {
  const proof = dpopHeaderValue(request.headers);
  if (proof === undefined) return undefined;
  const { jkt } = await ctx.dpop.verify(proof, {
    htm: request.method,
    htu: publicUrl(ctx, request),
    requireNonce: ctx.config.dpopRequireNonce,
    onViolation: dpopViolationReporter(ctx, request),
  });
  return jkt;
}

/** With nonces on, every token response carries a fresh one, saving the client a retry (§8.2). */
export function advertiseDpopNonce(ctx: AppContext, reply: FastifyReply): void {
  if (ctx.config.dpopRequireNonce) reply.header('DPoP-Nonce', ctx.dpop.nonces.current());
}
