/**
 * Every feature's manifest, in one list: app/config.ts collects their options,
 * app/error-catalogue.ts their error catalogues, scripts/docs.ts documents them and
 * test/feature-manifests.test.ts checks that every table and route has one owner. A new
 * feature adds its manifest here; app/context.ts builds it and app/build.ts mounts its routes.
 * The order is the order of the docs (README options table, docs/errors.md).
 */
import { accountsManifest } from '../accounts/manifest.js';
import { anomalyManifest } from '../anomaly/manifest.js';
import { auditManifest } from '../audit/manifest.js';
import { clientsManifest } from '../clients/manifest.js';
import { devicesManifest } from '../devices/manifest.js';
import { consoleUiManifest } from '../console-ui/manifest.js';
import { serverManifest } from '../config/manifest.js';
import { dpopManifest } from '../dpop/manifest.js';
import { oauthManifest } from '../oauth/manifest.js';
import { operatorsManifest } from '../operators/manifest.js';
import { redisManifest } from '../redis/manifest.js';
import { sessionsManifest } from '../sessions/manifest.js';
import { statsManifest } from '../stats/manifest.js';
import { telemetryManifest } from '../telemetry/manifest.js';
import { webhooksManifest } from '../webhooks/manifest.js';

export const manifests = [
  serverManifest,
  oauthManifest,
  clientsManifest,
  sessionsManifest,
  dpopManifest,
  accountsManifest,
  anomalyManifest,
  telemetryManifest,
  statsManifest,
  auditManifest,
  redisManifest,
  webhooksManifest,
  devicesManifest,
  operatorsManifest,
  consoleUiManifest,
] as const;
