import { hkdfSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { createMailer } from './email/index.js';
import { accountAdminRoutes } from './http/admin-routes.js';
import { linkRoutes } from './http/link-routes.js';
import { meRoutes } from './http/me-routes.js';
import { passwordRoutes } from './http/password-routes.js';
import { accountRoutes } from './http/routes.js';
import { IdTokenVerifier } from './id-token/verifier.js';
import { EmailProofs } from './proofs.js';
import { AccountService } from './service.js';
import { AccountStore } from './store.js';

export interface CreateAccountsOptions {
  ctx: Omit<AppContext, 'accounts' | 'idTokens'>;
  masterKey: Buffer;
  onMailError: (error: unknown) => void;
}

/** Keys for code hashes and account keys, derived from the master key so every node agrees. */
const derive = (masterKey: Buffer, info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));

/** Builds the accounts feature's services (called once by createContext). */
export function createAccounts({ ctx, masterKey, onMailError }: CreateAccountsOptions): { accounts: AccountService; idTokens: IdTokenVerifier } {
  const store = new AccountStore(ctx.store.db, ctx.store.dialect, { users: ctx.userStore, sessions: ctx.guestSessions.revocations });
  const proofs = new EmailProofs(ctx.store.db, derive(masterKey, 'guestpass e-mail proof codes'), ctx.now);
  const mailer = createMailer({ smtpUrl: ctx.config.smtpUrl, mailFrom: ctx.config.mailFrom, dataDir: ctx.config.dataDir });
  const accounts = new AccountService({
    ctx: ctx as AppContext,
    store,
    proofs,
    mailer,
    accountKeySecret: derive(masterKey, 'guestpass account keys'),
    onMailError,
  });
  return { accounts, idTokens: new IdTokenVerifier({ issuers: ctx.config.trustedIssuers, now: ctx.now }) };
}

/** /accounts/*, /anonymous/convert and users in the admin API. */
export async function accountsFeature(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const routeContext = { ctx, accounts: ctx.accounts };
  await accountRoutes(app, routeContext);
  await passwordRoutes(app, routeContext);
  await meRoutes(app, routeContext);
  await linkRoutes(app, routeContext, ctx.idTokens);
  await accountAdminRoutes(app, routeContext);
}
