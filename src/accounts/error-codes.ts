import { defineErrors } from '../shared/errors.js';

/**
 * Account failures. Wherever an answer could tell whether an address is registered, the
 * error is the same for both cases (no account enumeration).
 */
export const accountError = defineErrors({
  INVALID_EMAIL: {
    status: 400,
    error: 'invalid_request',
    description: 'email must be a valid e-mail address such as ada@example.com.',
  },
  WEAK_PASSWORD: {
    status: 400,
    error: 'invalid_request',
    description: 'The password is too weak: use at least 10 characters that are not a common password.',
  },
  INVALID_CREDENTIALS: {
    status: 400,
    error: 'invalid_grant',
    description: 'The e-mail address or the password is wrong.',
  },
  INVALID_CODE: {
    status: 400,
    error: 'invalid_grant',
    description: 'The code is wrong, expired or already used; check the latest e-mail or request a new code.',
  },
  CODE_LOCKED: {
    status: 400,
    error: 'invalid_grant',
    description: 'Too many wrong codes: this code is locked; request a new one by signing up again.',
  },
  INVALID_RESET_TOKEN: {
    status: 400,
    error: 'invalid_grant',
    description: 'The reset link is wrong, expired or already used; request a new one with POST /accounts/password/forgot.',
  },
  NOT_A_GUEST: {
    status: 409,
    error: 'invalid_request',
    description: 'This session already belongs to a registered user; conversion is for guest sessions.',
  },
  GUEST_MERGED: {
    status: 400,
    error: 'invalid_grant',
    description: 'This guest was merged into an account; sign in to that account instead.',
  },
  PASSWORD_ALREADY_SET: {
    status: 409,
    error: 'invalid_request',
    description: 'This account already has a password; change it with the reset flow (POST /accounts/password/forgot).',
  },
  REGISTERED_USER_REQUIRED: {
    status: 403,
    error: 'insufficient_scope',
    description: 'Only a registered user can set a password: verify the e-mail address first (POST /accounts/verify).',
  },
  CLIENT_REQUIRED: {
    status: 400,
    error: 'invalid_request',
    description: 'client_id is required to issue tokens; send the client_id of your application.',
  },
  USER_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No user has this id; check the id, or whether the user was deleted.',
  },
  CONFIDENTIAL_CLIENT_REQUIRED: {
    status: 401,
    error: 'invalid_client',
    description: 'This endpoint is for confidential clients: authenticate with client_id and client_secret.',
  },
});
