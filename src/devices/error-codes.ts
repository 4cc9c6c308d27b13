import { defineErrors } from '../shared/errors.js';

/**
 * Device authorization failures (RFC 8628). The polling answers are the RFC's own error codes
 * (§3.5), which clients such as openid-client act on: keep polling, poll slower, stop.
 */
export const deviceError = defineErrors({
  AUTHORIZATION_PENDING: {
    status: 400,
    error: 'authorization_pending',
    description: 'Nobody has approved this device yet; poll again after the interval (RFC 8628 §3.5).',
  },
  SLOW_DOWN: {
    status: 400,
    error: 'slow_down',
    description: 'Polling faster than the interval allows; the interval is now 5 seconds longer for this and every later poll (RFC 8628 §3.5).',
  },
  ACCESS_DENIED: {
    status: 400,
    error: 'access_denied',
    description: 'The person at the verification page denied this device; stop polling and start over if they change their mind.',
  },
  EXPIRED_TOKEN: {
    status: 400,
    error: 'expired_token',
    description: 'The device code has expired; request a new one at the device_authorization_endpoint.',
  },
  INVALID_DEVICE_CODE: {
    status: 400,
    error: 'invalid_grant',
    description: 'The device code is unknown, belongs to another client, or was already exchanged for tokens; request a new one.',
  },
  DEVICE_GRANT_NOT_ALLOWED: {
    status: 400,
    error: 'unauthorized_client',
    description:
      'This client may not use the device authorization grant; add urn:ietf:params:oauth:grant-type:device_code to its grant_types (PATCH /admin/api/clients/:id or `guestpass clients create --grant`).',
  },
  USER_CODE_INVALID: {
    status: 400,
    error: 'invalid_request',
    description: 'This code is unknown or has expired; check the code on your device, which shows a new one if it expired.',
  },
  USER_CODE_DECIDED: {
    status: 400,
    error: 'invalid_request',
    description: 'This code was already approved or denied; start again on the device to get a new one.',
  },
  CSRF_FAILED: {
    status: 403,
    error: 'invalid_request',
    description: 'The form expired or did not come from this page; open the verification page again and resubmit.',
  },
  SIGN_IN_INCOMPLETE: {
    status: 400,
    error: 'invalid_request',
    description: 'Enter both the e-mail address and the password of your account to continue as it.',
  },
  NO_CURRENT_SESSION: {
    status: 400,
    error: 'invalid_request',
    description: 'There is no signed-in session in this browser to approve with; choose “Continue as a new guest”, or sign in first.',
  },
});
