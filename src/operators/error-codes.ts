import { defineErrors } from '../shared/errors.js';

/** Failures of console sign-in, console sessions, the admin API's access check and `guestpass admins`. */
export const operatorError = defineErrors({
  SIGN_IN_DENIED: {
    status: 401,
    error: 'access_denied',
    description:
      'The e-mail address, the password or the TOTP code is wrong, or this account is not a console operator (`guestpass admins add EMAIL` makes it one).',
  },
  MFA_REQUIRED: {
    status: 401,
    error: 'mfa_required',
    description: 'This operator signs in with a second factor: send totp_code, the 6-digit code of the authenticator app, with the e-mail and password.',
  },
  CONSOLE_SESSION_MISSING: {
    status: 401,
    error: 'invalid_token',
    description: 'No console session: sign in with POST /admin/api/session, or call the admin API with an admin access token.',
  },
  CONSOLE_SESSION_ENDED: {
    status: 401,
    error: 'invalid_token',
    description:
      'The console session has ended: signed out, idle longer than GUESTPASS_CONSOLE_IDLE_TIMEOUT, older than GUESTPASS_CONSOLE_SESSION_LIFETIME, or the operator was removed. Sign in again with POST /admin/api/session.',
  },
  CONSOLE_CSRF_FAILED: {
    status: 403,
    error: 'csrf_failed',
    description:
      'A change made with the console cookie needs the header X-CSRF-Token set to the csrf_token of POST or GET /admin/api/session, from a page of this server’s own origin.',
  },
  CROSS_SITE_REQUEST: {
    status: 403,
    error: 'csrf_failed',
    description: 'The console API answers only pages of this server’s own origin (the Origin or Sec-Fetch-Site header names another site).',
  },
  READ_ONLY_OPERATOR: {
    status: 403,
    error: 'insufficient_scope',
    description:
      'This operator has the viewer role, which reads only; an operator with the admin role (`guestpass admins add EMAIL --role admin`) can make changes.',
  },
  TOTP_ALREADY_ENABLED: {
    status: 409,
    error: 'invalid_request',
    description:
      'A TOTP second factor is already on for this operator; turn it off with DELETE /admin/api/session/totp and a current code before enrolling a new one.',
  },
  TOTP_NOT_ENROLLING: {
    status: 409,
    error: 'invalid_request',
    description: 'There is no TOTP enrolment to confirm: start one with POST /admin/api/session/totp.',
  },
  TOTP_NOT_ENABLED: {
    status: 409,
    error: 'invalid_request',
    description: 'A TOTP second factor is not on for this operator, so there is nothing to turn off.',
  },
  TOTP_CODE_REJECTED: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The TOTP code is wrong, too old, or was already used (each code is accepted once); send the 6-digit code the authenticator app shows now, or wait for the next one.',
  },
  ACCOUNT_NOT_REGISTERED: {
    status: 404,
    error: 'invalid_request',
    description:
      'No registered account has this e-mail address; the person registers first (signs up and confirms the address); a guest cannot be an operator.',
  },
  NOT_AN_OPERATOR: {
    status: 404,
    error: 'invalid_request',
    description: 'This account is not a console operator; `guestpass admins list` shows who is.',
  },
});

export type OperatorErrorCode = keyof typeof operatorError.catalogue;
