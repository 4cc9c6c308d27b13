import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { anomalyAdminRoutes } from './admin-routes.js';
import { installContainmentHooks } from './containment/hook.js';

/**
 * Anomaly detection and containment: the engine runs on every domain event inline,
 * containment is enforced at the door, and the admin API lists alerts and blocks. With
 * GUESTPASS_ANOMALY_DETECTION off only the admin API remains (past alerts stay readable).
 */
export async function anomalyFeature(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { anomaly } = ctx;
  if (ctx.config.anomalyDetection) {
    anomaly.onError = (error, what) => app.log.error({ err: error }, `anomaly: ${what} failed`);
    await anomaly.start();
    app.addHook('onClose', async () => anomaly.stop());
    installContainmentHooks(app, ctx, anomaly);
  }
  await anomalyAdminRoutes(app, ctx, anomaly);
}
