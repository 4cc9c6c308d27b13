/** An OpenID Connect provider whose ID tokens may link a Guestpass account. */
export interface TrustedIssuer {
  /** Exactly the `iss` its ID tokens carry, and the base of its discovery document. */
  issuer: string;
  /** The `aud` (your client id at that provider) an ID token must be addressed to. */
  audience: string[];
  /**
   * Require a `nonce` in the request that matches the token's (OIDC Core §3.1.2.1), so a
   * token lifted from another application cannot be replayed here. @default true
   */
  requireNonce: boolean;
}

/** GUESTPASS_TRUSTED_ISSUERS: `[{"issuer": "...", "audience": "..." | [...], "require_nonce"?: bool}]`. */
export function parseTrustedIssuers(raw: string): TrustedIssuer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON array such as [{"issuer": "https://accounts.example.com", "audience": "client-id"}]');
  }
  if (!Array.isArray(parsed)) throw new Error('must be a JSON array of {issuer, audience}');
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw new Error(`entry ${index} must be an object`);
    const { issuer, audience, require_nonce: requireNonce = true, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new Error(`entry ${index} has unknown field ${unknown[0]}`);
    if (typeof issuer !== 'string' || !isAllowedIssuerUrl(issuer)) throw new Error(`entry ${index} needs an https issuer URL (http only for localhost)`);
    const audiences = typeof audience === 'string' ? [audience] : audience;
    if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string' && a !== '')) {
      throw new Error(`entry ${index} needs an audience: your client id at ${issuer}`);
    }
    if (typeof requireNonce !== 'boolean') throw new Error(`entry ${index}: require_nonce must be true or false`);
    // An ID token's iss selects exactly one entry, so a repeated issuer would silently lose one.
    if (seen.has(issuer)) throw new Error(`entry ${index} repeats ${issuer}; list all its client ids in one entry's audience`);
    seen.add(issuer);
    return { issuer, audience: audiences as string[], requireNonce };
  });
}

/** Discovery over plain http is only acceptable on loopback (tests, local development). */
export function isAllowedIssuerUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.search || url.hash) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}
