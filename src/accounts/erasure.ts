/**
 * The accounts feature's part of erasing a person (GDPR Art. 17): the account columns go with
 * the user row (deleted by the sessions feature, which creates rows), and here the identity
 * links, the aliases from and to the person, and every e-mail proof for them or their addresses.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { PasswordHasher } from './passwords.js';
import type { EmailProofs, ProofView } from './proofs.js';
import type { AccountsExport, AccountStore } from './store.js';

export interface AccountErasureDeps {
  store: AccountStore;
  proofs: EmailProofs;
  passwords: PasswordHasher;
}

export type AccountsDataExport = AccountsExport & { proofs: ProofView[] };

export class AccountErasure {
  constructor(private readonly deps: AccountErasureDeps) {}

  /** The guests merged into this account (they are erased with it); `db` may be the erasure's transaction. */
  mergedGuestsOf(accountId: string, db?: Kysely<Database>): Promise<string[]> {
    return this.deps.store.mergedGuestsOf(accountId, db);
  }

  async exportUsers(userIds: readonly string[]): Promise<AccountsDataExport> {
    const emails = await this.deps.store.emailsOf(userIds);
    const [accounts, proofs] = await Promise.all([this.deps.store.exportUsers(userIds), this.deps.proofs.listFor({ userIds, emails })]);
    return { ...accounts, proofs };
  }

  /** Runs in the erasure's transaction, before the sessions feature deletes the rows (it reads their addresses). */
  async eraseUsers(userIds: readonly string[], trx: Kysely<Database>): Promise<{ proofs: number; identities: number; aliases: number }> {
    const emails = await this.deps.store.emailsOf(userIds, trx);
    const proofs = await this.deps.proofs.eraseFor({ userIds, emails }, trx);
    return { proofs, ...(await this.deps.store.eraseLinks(userIds, trx)) };
  }

  /**
   * Whether `password` is this registered user's password, for a self-service erasure. A user
   * without a password does the same argon2 work and gets false: the caller asks for a recent
   * login instead.
   */
  async confirmPassword(userId: string, password: string): Promise<boolean> {
    const account = await this.deps.store.get(userId);
    if (!account?.passwordHash) return this.deps.passwords.dummyVerify(password);
    return this.deps.passwords.verify(account.passwordHash, password);
  }
}
