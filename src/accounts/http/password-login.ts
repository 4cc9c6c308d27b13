import type { FastifyRequest } from 'fastify';
import type { Client } from '../../clients/index.js';
import type { NetworkInfo } from '../../events/types.js';
import { GuestpassError } from '../../shared/errors.js';
import type { GuestHandle } from '../conversion.js';
import type { AccountRecord } from '../store.js';
import { type AccountRoutesDeps, limitByAccount, limitByIp } from './common.js';

export interface PasswordLogInInput {
  email: string;
  password: string;
  client: Client;
  guest?: GuestHandle;
  network?: NetworkInfo;
}

/**
 * The one e-mail-and-password check every page and endpoint signs a person in with: the login
 * limit per account (a throttled attempt still reported as `login.failed`, so detectors count
 * it), then AccountService.logIn (one error and the same argon2 work whatever was wrong). The
 * per-address limit comes before, in the caller: POST /accounts/login checks it before it even
 * authenticates the client.
 */
export async function logInWithPassword(
  deps: Pick<AccountRoutesDeps, 'accounts' | 'rateLimits' | 'config' | 'events' | 'now'>,
  input: PasswordLogInInput,
): Promise<{ account: AccountRecord; merged: boolean }> {
  const { accounts } = deps;
  const accountKey = accounts.accountKey(accounts.email(input.email));
  await limitByAccount(deps, accountKey).catch((error: unknown) => {
    // A limiter that could not answer (Redis down) throttled nobody.
    if (!(error instanceof GuestpassError && error.status === 429)) throw error;
    deps.events.emit('login.failed', {
      time: deps.now(),
      client_id: input.client.id,
      account_key: accountKey,
      reason: 'throttled',
      ...(input.network ? { network: input.network } : {}),
    });
    throw error;
  });
  return accounts.logIn(input);
}

/**
 * Signs a person in on one of the server's own pages (the device verification page): the
 * per-address login limit, then the shared check above. No guest is merged and no session
 * is started here; the page decides what the account is for.
 */
export async function signInOnPage(
  deps: Pick<AccountRoutesDeps, 'accounts' | 'rateLimits' | 'config' | 'events' | 'now'>,
  request: FastifyRequest,
  input: Omit<PasswordLogInInput, 'guest'>,
): Promise<AccountRecord> {
  await limitByIp(deps, request);
  return (await logInWithPassword(deps, input)).account;
}
