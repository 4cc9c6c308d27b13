/** What the shop sells. Prices are in cents so totals add up exactly. */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'tea', name: 'Green tea, 100 g', priceCents: 650 },
  { sku: 'mug', name: 'Stoneware mug', priceCents: 1400 },
  { sku: 'honey', name: 'Wildflower honey', priceCents: 900 },
  { sku: 'kettle', name: 'Gooseneck kettle', priceCents: 4900 },
];

export const productBySku = (sku: string): Product | undefined => PRODUCTS.find((product) => product.sku === sku);
