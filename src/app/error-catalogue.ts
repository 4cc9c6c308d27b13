import { accountError } from '../accounts/error-codes.js';
import { idTokenError } from '../accounts/id-token/error-codes.js';
import { anomalyError } from '../anomaly/error-codes.js';
import { clientError } from '../clients/error-codes.js';
import { dpopError } from '../dpop/error-codes.js';
import { oauthError } from '../oauth/error-codes.js';
import { sessionError } from '../sessions/error-codes.js';
import { telemetryError } from '../telemetry/error-codes.js';
import { httpError } from '../shared/error-codes.js';
import type { ErrorSpec } from '../shared/errors.js';

/** Every feature's error catalogue, for docs/errors.md and the test that keeps it complete. */
export const errorCatalogues: Record<string, Record<string, ErrorSpec>> = {
  http: httpError.catalogue,
  oauth: oauthError.catalogue,
  clients: clientError.catalogue,
  sessions: sessionError.catalogue,
  dpop: dpopError.catalogue,
  accounts: accountError.catalogue,
  idToken: idTokenError.catalogue,
  anomaly: anomalyError.catalogue,
  telemetry: telemetryError.catalogue,
};
