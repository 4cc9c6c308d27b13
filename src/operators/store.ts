import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { OperatorsTable } from './tables.js';

export type OperatorRole = OperatorsTable['role'];

/** An operator as the feature sees it. */
export interface Operator {
  userId: string;
  role: OperatorRole;
  /** Sealed RFC 6238 secret: pending while `totpEnabled` is false. */
  totpSecretSealed: string | null;
  totpEnabled: boolean;
  totpLastStep: number | null;
  createdAt: number;
}

function toOperator(row: OperatorsTable): Operator {
  return {
    userId: row.user_id,
    role: row.role,
    totpSecretSealed: row.totp_secret_sealed,
    totpEnabled: row.totp_confirmed === 1,
    totpLastStep: row.totp_last_step,
    createdAt: row.created_at,
  };
}

/**
 * The operators table. Every TOTP change is one conditional UPDATE, so two requests (or two
 * nodes) racing on the same code or the same enrolment cannot both win.
 */
export class OperatorStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(userId: string): Promise<Operator | undefined> {
    const row = await this.db.selectFrom('operators').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row && toOperator(row);
  }

  async list(): Promise<Operator[]> {
    const rows = await this.db.selectFrom('operators').selectAll().orderBy('created_at').orderBy('user_id').execute();
    return rows.map(toOperator);
  }

  /** Grants `role` (a new operator, or a changed role); the role it had before, if any. */
  async grant(userId: string, role: OperatorRole, now: number): Promise<OperatorRole | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('operators').select('role').where('user_id', '=', userId).executeTakeFirst();
      if (before) await trx.updateTable('operators').set({ role, updated_at: now }).where('user_id', '=', userId).execute();
      else
        await trx
          .insertInto('operators')
          .values({ user_id: userId, role, totp_secret_sealed: null, totp_confirmed: 0, totp_last_step: null, created_at: now, updated_at: now })
          .execute();
      return before?.role;
    });
  }

  /** Removes the operator and ends its console sessions, together; false when it was none. */
  async remove(userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('console_sessions').where('user_id', '=', userId).execute();
      const { numDeletedRows } = await trx.deleteFrom('operators').where('user_id', '=', userId).executeTakeFirst();
      return numDeletedRows > 0n;
    });
  }

  /** Stores a new pending secret, unless TOTP is already on. */
  async startTotp(userId: string, sealed: string, now: number): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable('operators')
      .set({ totp_secret_sealed: sealed, updated_at: now })
      .where('user_id', '=', userId)
      .where('totp_confirmed', '=', 0)
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /** Turns on the pending secret `sealed` (still the one the code was checked against) and uses up `step`. */
  async confirmTotp(userId: string, sealed: string, step: number, now: number): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable('operators')
      .set({ totp_confirmed: 1, totp_last_step: step, updated_at: now })
      .where('user_id', '=', userId)
      .where('totp_confirmed', '=', 0)
      .where('totp_secret_sealed', '=', sealed)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /**
   * Uses up the code of time step `step` for the enabled secret: false if that step or a later
   * one was already accepted (RFC 6238 §5.2: a verifier must not accept an OTP twice).
   */
  async useStep(userId: string, step: number, now: number): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable('operators')
      .set({ totp_last_step: step, updated_at: now })
      .where('user_id', '=', userId)
      .where('totp_confirmed', '=', 1)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }

  /** Turns TOTP off, using up `step` (the code that proved it) in the same statement. */
  async disableTotp(userId: string, step: number, now: number): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable('operators')
      .set({ totp_secret_sealed: null, totp_confirmed: 0, totp_last_step: step, updated_at: now })
      .where('user_id', '=', userId)
      .where('totp_confirmed', '=', 1)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return numUpdatedRows > 0n;
  }
}
