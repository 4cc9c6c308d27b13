import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { productBySku } from './catalogue.js';
import type { OrderLine } from './orders.js';

const OrderRequest = Type.Object(
  {
    items: Type.Array(Type.Object({ sku: Type.String({ maxLength: 32 }), qty: Type.Integer({ minimum: 1, maximum: 99 }) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 50,
    }),
  },
  { additionalProperties: false },
);

export type OrderRequest = Static<typeof OrderRequest>;

/** An RFC 6749-style refusal of the shop's own. */
export class ShopError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/** The order's lines at today's prices; the client's idea of a price is never trusted. */
export function readOrderRequest(body: unknown): OrderLine[] {
  if (!Value.Check(OrderRequest, body)) {
    throw new ShopError(400, 'invalid_request', 'Send {"items": [{"sku": "<product>", "qty": 1..99}, …]} with 1 to 50 lines and nothing else.');
  }
  return body.items.map(({ sku, qty }) => {
    const product = productBySku(sku);
    if (!product) throw new ShopError(400, 'invalid_request', `There is no product "${sku}"; GET /api/products lists them.`);
    return { sku, qty, priceCents: product.priceCents };
  });
}
