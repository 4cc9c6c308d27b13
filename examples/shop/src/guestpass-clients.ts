import type { GuestSettingsJson } from '../../../src/clients/guest-settings.js';

/** The identifier of the shop's API: the `aud` of the tokens it accepts. */
export const SHOP_AUDIENCE = 'https://shop.example/api';

/**
 * The shop's public client, as `POST /admin/api/clients` (or `guestpass clients create`) takes
 * it. Guests may fill a cart (`cart:write`) and send telemetry; registered users may also
 * order (`orders:write`), so the API's scope guard is what tells a guest to sign up. The cart
 * lives in the guest's metadata, and when a guest logs into an existing account the two carts
 * are merged by `union` on `sku` (the account's line wins on a shared product).
 */
export function shopClient(origin: string): {
  name: string;
  type: 'public';
  allowed_origins: string[];
  scopes: string[];
  audiences: string[];
  guest: GuestSettingsJson;
  user: { scopes: string[] };
} {
  return {
    name: 'Example shop',
    type: 'public',
    allowed_origins: [origin],
    scopes: ['cart:write', 'orders:write', 'telemetry:write'],
    audiences: [SHOP_AUDIENCE],
    guest: {
      scopes: ['cart:write', 'telemetry:write'],
      merge_strategies: { cart: { strategy: 'union', id: 'sku' } },
      metadata_schema: {
        type: 'object',
        properties: {
          cart: {
            type: 'array',
            maxItems: 50,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['sku', 'qty'],
              properties: { sku: { type: 'string', maxLength: 32 }, qty: { type: 'integer', minimum: 1, maximum: 99 } },
            },
          },
        },
      },
      telemetry: { allowed_events: ['product_viewed', 'cart_added', 'checkout'], allowed_props: ['sku', 'items'] },
    },
    user: { scopes: ['cart:write', 'orders:write', 'telemetry:write'] },
  };
}

/** The confidential client the shop's API introspects tokens with (RFC 7662). */
export const SHOP_API_CLIENT = { name: 'Example shop API', type: 'confidential' as const };
