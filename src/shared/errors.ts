/**
 * One error type for the whole server. Every failure that reaches a client is an RFC 6749 §5.2
 * error object: `{"error": "<oauth code>", "error_description": "<a sentence to act on>"}`.
 * Each feature declares its failures once in its `error-codes.ts` catalogue with a stable
 * UPPER_SNAKE code; `docs/errors.md` is generated from the catalogues and a test keeps it true.
 */

export interface ErrorSpec {
  status: number;
  /** The OAuth error string sent as `error`. */
  error: string;
  /** Default `error_description`; a throw site may give a more specific one. */
  description: string;
  /**
   * Whether the description reaches the client. Defaults to true below 500 only; a 503 whose
   * sentence tells the client when to retry sets it, since its text is written for clients.
   */
  expose?: boolean;
}

export class GuestpassError extends Error {
  override name = 'GuestpassError';
  readonly status: number;
  readonly error: string;
  /** False for 5xx: the description is replaced by a generic sentence on the wire. */
  readonly expose: boolean;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    spec: ErrorSpec,
    description?: string,
    headers: Record<string, string> = {},
  ) {
    super(description ?? spec.description);
    this.status = spec.status;
    this.error = spec.error;
    this.expose = spec.expose ?? spec.status < 500;
    this.headers = headers;
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.expose ? this.message : 'The server could not complete the request; try again later.' };
  }
}

export type Catalogue<C extends string> = { readonly [K in C]: ErrorSpec };

export interface ErrorFactory<C extends string> {
  readonly catalogue: Catalogue<C>;
  /** Builds the error for `code`, optionally with a more specific description and headers. */
  (code: C, description?: string, headers?: Record<string, string>): GuestpassError;
}

/** Declares a feature's catalogue and returns a factory for its errors. */
export function defineErrors<C extends string>(catalogue: Catalogue<C>): ErrorFactory<C> {
  const factory = (code: C, description?: string, headers?: Record<string, string>) => new GuestpassError(code, catalogue[code], description, headers);
  return Object.assign(factory, { catalogue });
}
