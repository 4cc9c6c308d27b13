import { defineErrors } from '../../shared/errors.js';

/** Failures of erasure and export, by an admin or by the person themselves. */
export const erasureError = defineErrors({
  USER_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'Nothing is stored about this user id: check the id. An erasure leaves nothing behind, so after a complete DELETE the id is not found either.',
  },
  REAUTHENTICATION_REQUIRED: {
    status: 401,
    error: 'insufficient_user_authentication',
    description:
      'Deleting a registered account needs proof that its owner is here: send {"password": "…"} in the body, or log in again and retry at once with the new access token.',
  },
  WRONG_PASSWORD: {
    status: 403,
    error: 'access_denied',
    description: 'The password is wrong and nothing was deleted: send the account’s current password, or log in again and retry at once without one.',
  },
});
