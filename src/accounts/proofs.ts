import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { newId } from '../crypto/ids.js';
import type { Database } from '../storage/schema.js';
import { accountError } from './error-codes.js';
import type { EmailTokensTable } from './tables.js';

/** Wrong codes allowed before a code locks (issue 4 §2). */
export const MAX_CODE_ATTEMPTS = 5;
/** How long a mailed code or link lasts. */
export const PROOF_TTL_MS = 10 * 60_000;

export type ProofPurpose = EmailTokensTable['purpose'];

/** A consumed proof: what the mail was sent for. */
export interface Proof {
  id: string;
  purpose: ProofPurpose;
  email: string;
  userId: string | null;
  sessionId: string | null;
  passwordHash: string | null;
  clientId: string | null;
}

export interface IssueProofInput {
  purpose: ProofPurpose;
  email: string;
  userId?: string | null;
  sessionId?: string | null;
  passwordHash?: string | null;
  clientId?: string | null;
}

/** What goes into the mail; never stored, never logged. */
export interface IssuedProof {
  code: string;
  linkToken: string;
  expiresAt: number;
}

function toProof(row: Pick<Selectable<EmailTokensTable>, 'id' | 'purpose' | 'email' | 'user_id' | 'session_id' | 'password_hash' | 'client_id'>): Proof {
  return { id: row.id, purpose: row.purpose, email: row.email, userId: row.user_id, sessionId: row.session_id, passwordHash: row.password_hash, clientId: row.client_id };
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * One-time e-mail proofs: a 6-digit code and a link token carrying the same proof. Only hashes
 * are stored. A 6-digit code has 20 bits, so a plain hash would fall to an offline search:
 * the code hash is an HMAC under a server secret and bound to its row. The link token has 256
 * bits, so SHA-256 suffices and lets us find the row by its hash.
 */
export class EmailProofs {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {}

  /** Issues a proof; older unused proofs for the same address and purpose stop working. */
  async issue(input: IssueProofInput): Promise<IssuedProof> {
    const now = this.now();
    const id = newId();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const linkToken = randomBytes(32).toString('base64url');
    const expiresAt = now + PROOF_TTL_MS;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('email_tokens')
        .set({ expires_at: now })
        .where('email', '=', input.email)
        .where('purpose', '=', input.purpose)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
      await trx
        .insertInto('email_tokens')
        .values({
          id,
          purpose: input.purpose,
          email: input.email,
          code_hash: this.codeHash(id, code),
          link_hash: sha256(linkToken),
          user_id: input.userId ?? null,
          session_id: input.sessionId ?? null,
          password_hash: input.passwordHash ?? null,
          client_id: input.clientId ?? null,
          attempts: 0,
          expires_at: expiresAt,
          consumed_at: null,
          created_at: now,
        })
        .execute();
    });
    return { code, linkToken, expiresAt };
  }

  /**
   * Checks a code against the newest live proof for the address. Every try counts (atomically,
   * so parallel guesses cannot exceed the limit); the fifth wrong one locks the proof.
   */
  async consumeCode(purpose: ProofPurpose, email: string, code: string): Promise<Proof> {
    const now = this.now();
    const row = await this.db
      .selectFrom('email_tokens')
      .selectAll()
      .where('email', '=', email)
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) throw accountError('INVALID_CODE');
    const counted = await this.db
      .updateTable('email_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(counted.numUpdatedRows) !== 1) throw accountError('CODE_LOCKED');
    if (!/^\d{6}$/.test(code) || !safeEqual(row.code_hash, this.codeHash(row.id, code))) {
      throw accountError(row.attempts + 1 >= MAX_CODE_ATTEMPTS ? 'CODE_LOCKED' : 'INVALID_CODE');
    }
    return this.consume(row, 'INVALID_CODE');
  }

  /** Checks a link token (256 bits: no attempt counting needed). */
  async consumeLink(purpose: ProofPurpose, linkToken: string): Promise<Proof> {
    const missing = purpose === 'reset' ? 'INVALID_RESET_TOKEN' : 'INVALID_CODE';
    const row = await this.db
      .selectFrom('email_tokens')
      .selectAll()
      .where('link_hash', '=', sha256(linkToken))
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    if (!row) throw accountError(missing);
    return this.consume(row, missing);
  }

  /** Single use: the one statement that marks it consumed decides, whatever runs in parallel. */
  private async consume(row: Selectable<EmailTokensTable>, failure: 'INVALID_CODE' | 'INVALID_RESET_TOKEN'): Promise<Proof> {
    const result = await this.db.updateTable('email_tokens').set({ consumed_at: this.now() }).where('id', '=', row.id).where('consumed_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw accountError(failure);
    return toProof(row);
  }

  /** Proofs that expired more than a day ago are useless; purged in batches. */
  async purgeExpired(batch = 1000): Promise<number> {
    const cutoff = this.now() - 86_400_000;
    const ids = await this.db.selectFrom('email_tokens').select('id').where('expires_at', '<', cutoff).limit(batch).execute();
    if (ids.length === 0) return 0;
    await this.db.deleteFrom('email_tokens').where('id', 'in', ids.map((row) => row.id)).execute();
    return ids.length;
  }

  private codeHash(id: string, code: string): string {
    return createHmac('sha256', this.secret).update(`${id}:${code}`).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
