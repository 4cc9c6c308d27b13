import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { GuestpassError } from '../shared/errors.js';
import { newId } from '../crypto/ids.js';
import type { Database } from '../storage/schema.js';
import { accountError } from './error-codes.js';
import type { EmailTokensTable } from './tables.js';

/** Code attempts per address and purpose before codes lock; the last wrong one locks. */
export const MAX_CODE_ATTEMPTS = 5;
/** How long a mailed code or link lasts. */
export const PROOF_TTL_MS = 10 * 60_000;
/** An expired or used proof is deleted this long after its expiry: at most PROOF_TTL_MS + a day after it was issued. */
const PURGE_AFTER_MS = 86_400_000;

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
  return {
    id: row.id,
    purpose: row.purpose,
    email: row.email,
    userId: row.user_id,
    sessionId: row.session_id,
    passwordHash: row.password_hash,
    clientId: row.client_id,
  };
}

/** Whose proofs: a person's user ids and addresses. */
export interface ProofOwners {
  userIds: readonly string[];
  emails: readonly string[];
}

/** A proof as a person's export shows it. */
export interface ProofView {
  purpose: ProofPurpose;
  email: string;
  user_id: string | null;
  client_id: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** What a locked code says, by purpose: where the new code comes from. */
const LOCKED_HINT: Record<ProofPurpose, string | undefined> = {
  verify: undefined,
  reset: 'Too many wrong codes: this code is locked; request a new one with POST /accounts/password/forgot.',
};

/**
 * One-time e-mail proofs: a 6-digit code and a link token carrying the same proof. Only hashes
 * are stored. A 6-digit code has 20 bits, so a plain hash would fall to an offline search:
 * the code hash is an HMAC under a server secret and bound to its row. The link token has 256
 * bits, so SHA-256 suffices and lets us find the row by its hash.
 *
 * Code attempts are counted per address and purpose, whether or not a proof is pending, so
 * that the lock-out cannot tell an address with a pending sign-up (or, for resets, a
 * registered one) from any other. The count lives in an attempt row of the same
 * table: keyed by an HMAC of the address (it never holds the address), with no code that could
 * match. It starts at the first attempt and lasts PROOF_TTL_MS, so it outlives any proof issued
 * before it began; a new proof for the address, or `restartAttempts` where none is issued,
 * ends it. While it holds, a proof's own count can never run ahead of it.
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
      // The address's attempt count ends with its older proofs: a new code gets its own tries.
      await trx
        .updateTable('email_tokens')
        .set({ expires_at: now })
        .where('email', 'in', [input.email, this.attemptKey(input.email)])
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
   * Checks a code against the newest live proof for the address. Every try counts against the
   * address (atomically, so parallel guesses cannot exceed the limit), pending proof or not; the
   * fifth wrong one locks. The proof keeps its own count too, which the address's never trails.
   */
  async consumeCode(purpose: ProofPurpose, email: string, code: string): Promise<Proof> {
    const locked = () => accountError('CODE_LOCKED', LOCKED_HINT[purpose]);
    const attempt = await this.countAttempt(purpose, email);
    if (!attempt) throw locked();
    const wrong = () => (attempt.number >= MAX_CODE_ATTEMPTS ? locked() : accountError('INVALID_CODE'));
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
    if (!row) throw wrong();
    const counted = await this.db
      .updateTable('email_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(counted.numUpdatedRows) !== 1) throw locked();
    if (!/^\d{6}$/.test(code) || !safeEqual(row.code_hash, this.codeHash(row.id, code))) throw wrong();
    const proof = await this.consume(row, wrong);
    // Only wrong codes count: an address just proven must not lock sooner than any other.
    await this.db
      .updateTable('email_tokens')
      .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
      .where('id', '=', attempt.counter)
      .where('attempts', '>', 0)
      .execute();
    return proof;
  }

  /**
   * Ends the address's attempt count as issuing a proof would, for a request that issues none
   * for reasons the caller must not reveal (a reset asked for an unregistered address).
   */
  async restartAttempts(purpose: ProofPurpose, email: string): Promise<void> {
    const now = this.now();
    await this.db
      .updateTable('email_tokens')
      .set({ expires_at: now })
      .where('email', '=', this.attemptKey(email))
      .where('purpose', '=', purpose)
      .where('expires_at', '>', now)
      .execute();
  }

  /**
   * Counts one code attempt for the address: the attempt row and the attempt's number in it (1
   * to MAX_CODE_ATTEMPTS), or undefined once all are spent. A new row's link_hash (unique) is
   * derived from the row before it, so parallel first attempts share one row instead of each
   * starting their own.
   */
  private async countAttempt(purpose: ProofPurpose, email: string): Promise<{ counter: string; number: number } | undefined> {
    const now = this.now();
    const key = this.attemptKey(email);
    const latest = await this.db
      .selectFrom('email_tokens')
      .select(['id', 'expires_at'])
      .where('email', '=', key)
      .where('purpose', '=', purpose)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    let id = latest && latest.expires_at > now ? latest.id : undefined;
    if (id === undefined) {
      const linkHash = `attempts:${this.hmac(`attempts:${purpose}:${key}:${latest?.id ?? 'first'}`)}`;
      await this.db
        .insertInto('email_tokens')
        .values({ id: newId(), purpose, email: key, code_hash: '', link_hash: linkHash, attempts: 0, expires_at: now + PROOF_TTL_MS, created_at: now })
        .onConflict((conflict) => conflict.column('link_hash').doNothing())
        .execute();
      id = (await this.db.selectFrom('email_tokens').select('id').where('link_hash', '=', linkHash).executeTakeFirstOrThrow()).id;
    }
    const counted = await this.db
      .updateTable('email_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .returning('attempts')
      .executeTakeFirst();
    return counted && { counter: id, number: counted.attempts };
  }

  /** Where an address's attempts are counted: never the address itself. */
  private attemptKey(email: string): string {
    return `attempts:${this.hmac(`attempts:${email}`)}`;
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
    return this.consume(row, () => accountError(missing));
  }

  /** Single use: the one statement that marks it consumed decides, whatever runs in parallel. */
  private async consume(row: Selectable<EmailTokensTable>, failure: () => GuestpassError): Promise<Proof> {
    const result = await this.db
      .updateTable('email_tokens')
      .set({ consumed_at: this.now() })
      .where('id', '=', row.id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw failure();
    return toProof(row);
  }

  /** How many proofs `purgeExpired` would delete now, in all its batches. */
  async countExpired(): Promise<number> {
    const row = await this.db
      .selectFrom('email_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '<', this.now() - PURGE_AFTER_MS)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Deletes every proof of `userIds` through `db` (the cull's transaction). The cull takes only
   * guests without a live proof, so what goes is used or expired.
   */
  async deleteOfUsers(userIds: readonly string[], db: Kysely<Database> = this.db): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await db.deleteFrom('email_tokens').where('user_id', 'in', userIds).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Proofs that expired more than a day ago are useless; purged in batches. */
  async purgeExpired(batch = 1000): Promise<number> {
    const cutoff = this.now() - PURGE_AFTER_MS;
    const ids = await this.db.selectFrom('email_tokens').select('id').where('expires_at', '<', cutoff).limit(batch).execute();
    if (ids.length === 0) return 0;
    await this.db
      .deleteFrom('email_tokens')
      .where(
        'id',
        'in',
        ids.map((row) => row.id),
      )
      .execute();
    return ids.length;
  }

  /** The proofs sent to these addresses or for these users (a person's export): no hash, no code. */
  async listFor({ userIds, emails }: ProofOwners): Promise<ProofView[]> {
    if (userIds.length === 0 && emails.length === 0) return [];
    const rows = await this.db
      .selectFrom('email_tokens')
      .select(['purpose', 'email', 'user_id', 'client_id', 'created_at', 'expires_at', 'consumed_at'])
      .where((eb) => eb.or([...(userIds.length > 0 ? [eb('user_id', 'in', userIds)] : []), ...(emails.length > 0 ? [eb('email', 'in', emails)] : [])]))
      .orderBy('created_at', 'desc')
      .limit(1000)
      .execute();
    return rows.map((row) => ({
      purpose: row.purpose,
      email: row.email,
      user_id: row.user_id,
      client_id: row.client_id,
      created_at: row.created_at,
      expires_at: row.expires_at,
      consumed_at: row.consumed_at,
    }));
  }

  /**
   * Erasure: deletes every proof for these users or sent to these addresses (pending ones too,
   * so no code can promote or reset an erased account), and the addresses' attempt counts, in
   * the erasure's transaction. The addresses of the users' own proofs count as theirs.
   */
  async eraseFor({ userIds, emails }: ProofOwners, trx: Kysely<Database>): Promise<number> {
    const theirs = userIds.length === 0 ? [] : await trx.selectFrom('email_tokens').select('email').where('user_id', 'in', userIds).execute();
    const addresses = [...new Set([...emails, ...theirs.map((row) => row.email)])];
    const keys = [...addresses, ...addresses.map((email) => this.attemptKey(email))];
    const result = await trx
      .deleteFrom('email_tokens')
      .where((eb) => eb.or([...(userIds.length > 0 ? [eb('user_id', 'in', userIds)] : []), ...(keys.length > 0 ? [eb('email', 'in', keys)] : [])]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private codeHash(id: string, code: string): string {
    return this.hmac(`${id}:${code}`);
  }

  private hmac(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
