import type { FeatureManifest } from '../config/feature-manifest.js';
import { deviceError } from './error-codes.js';
import { deviceOptions } from './options.js';

/** RFC 8628 device authorization: the endpoint, the verification page and the device_code grant. */
export const devicesManifest = {
  name: 'devices',
  options: deviceOptions,
  errors: { devices: deviceError.catalogue },
  tables: ['device_authorizations'],
  migrations: ['0018_devices'],
  // POST /oauth/device_authorization is served by this feature under oauth's /oauth/* entry.
  routes: ['/device'],
} satisfies FeatureManifest;
