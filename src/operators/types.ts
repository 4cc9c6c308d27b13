import type { OperatorRole } from './store.js';

export type { OperatorRole } from './store.js';

/** What the admin API knows about who is calling, put on the request by the access check. */
export type AdminActor = { kind: 'operator'; id: string; role: OperatorRole; sessionId: string } | { kind: 'client'; id: string };

/** What a route needs: reading, or changing. */
export type AdminLevel = 'read' | 'write';

/** An operator as the console API shows it. */
export interface OperatorView {
  id: string;
  role: OperatorRole;
  totp_enabled: boolean;
}

/** The body of POST and GET /admin/api/session. */
export interface ConsoleSessionBody {
  operator: OperatorView;
  csrf_token: string;
  idle_timeout_seconds: number;
}

/**
 * What the operators feature asks of registered accounts (app/ hands it the accounts service):
 * finding the account at an address, checking a password with the same work whether or not the
 * address is registered, and the keyed hash events and limits name an address by.
 */
export interface OperatorAccounts {
  findRegistered(email: string): Promise<{ id: string } | undefined>;
  checkPassword(email: string, password: string): Promise<{ id: string } | undefined>;
  accountKeyOfTyped(email: string): string;
}
