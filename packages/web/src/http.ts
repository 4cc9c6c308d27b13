import type { DpopSigner } from './dpop.js';
import { GuestpassError } from './errors.js';

/**
 * Sends a request with a DPoP proof when a signer is given, and once more with a fresh proof
 * when the server asks for its nonce (`use_dpop_nonce`, RFC 9449 §8 at the token endpoint,
 * §9 at a resource). `accessToken` makes the proof hash it (`ath`).
 */
export async function send(request: Request, signer?: DpopSigner, accessToken?: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const copy = request.clone();
    if (signer) copy.headers.set('dpop', await signer.proof(copy.method, copy.url, accessToken));
    let response: Response;
    try {
      response = await fetch(copy);
    } catch {
      throw new GuestpassError('network_error', `No answer from ${new URL(copy.url).origin}: the network failed or CORS refused the request.`);
    }
    const newNonce = signer?.noteNonce(copy.url, response) ?? false;
    if (attempt > 0 || !newNonce || !(await asksForNonce(response))) return response;
  }
}

async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status !== 400 && response.status !== 401) return false;
  if (response.headers.get('www-authenticate')?.includes('use_dpop_nonce')) return true;
  const body = (await response
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string };
  return body.error === 'use_dpop_nonce';
}
