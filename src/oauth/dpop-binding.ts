import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { dpopHeaderValue } from '../dpop/index.js';
import { publicUrl } from './bearer.js';

/**
 * DPoP at a token-issuing endpoint (RFC 9449 §5): a request with a proof gets tokens bound to
 * the proof's key. Returns the key thumbprint, or undefined when the request has no proof
 * (whether one is required is the grant's decision).
 */
export async function verifyTokenRequestProof(ctx: AppContext, request: FastifyRequest): Promise<string | undefined> {
  const proof = dpopHeaderValue(request.headers);
  if (proof === undefined) return undefined;
  const { jkt } = await ctx.dpop.verify(proof, { htm: request.method, htu: publicUrl(ctx, request), requireNonce: ctx.config.dpopRequireNonce });
  return jkt;
}

/** With nonces on, every token response carries a fresh one, saving the client a retry (§8.2). */
export function advertiseDpopNonce(ctx: AppContext, reply: FastifyReply): void {
  if (ctx.config.dpopRequireNonce) reply.header('DPoP-Nonce', ctx.dpop.nonces.current());
}
