import type { Block } from './types.js';

/** A block as the admin API and the live view show it. */
export function blockView(block: Block) {
  return {
    id: block.id,
    action: block.action,
    entity: block.entity,
    detector: block.detector,
    alert_id: block.alertId,
    created_at: block.createdAt,
    expires_at: block.expiresAt,
    lifted_at: block.liftedAt,
  };
}
