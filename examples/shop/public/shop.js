// The shop's page: a guest on first visit, a cart kept in the guest's Guestpass metadata,
// sign-up that keeps it, log-in that merges it, and orders through the shop's own API.
import { createGuestpass } from '/sdk.js';

const config = await (await fetch('/config.json')).json();
// DPoP: the session and its access tokens are bound to a key the page cannot export.
const gp = createGuestpass({ issuer: config.issuer, clientId: config.clientId, dpop: true, telemetry: { flushInterval: 2000 } });
const $ = (id) => document.getElementById(id);
/** Other tabs of the shop re-read the cart when this one changes it. */
const tabs = new BroadcastChannel('shop-cart');

let products = [];
/** The last GET /anonymous/session: user, metadata (the cart) and its ETag. */
let session;
let pendingEmail;

const nameOf = (sku) => products.find((product) => product.sku === sku)?.name ?? sku;
const price = (cents) => `€${(cents / 100).toFixed(2)}`;

function item(text, attributes = {}) {
  const li = document.createElement('li');
  li.textContent = text;
  for (const [name, value] of Object.entries(attributes)) li.setAttribute(name, value);
  return li;
}

function render() {
  const cart = session?.metadata.cart ?? [];
  document.body.dataset.kind = session?.is_anonymous === false ? 'registered' : 'guest';
  document.body.dataset.state = 'ready';
  $('user-kind').textContent = session?.is_anonymous === false ? 'registered' : 'guest';
  $('user-id').textContent = session?.user_id ?? '';
  $('cart').replaceChildren(...cart.map((line) => item(`${nameOf(line.sku)} × ${line.qty}`, { 'data-sku': line.sku, 'data-qty': String(line.qty) })));
  $('cart-count').textContent = String(cart.reduce((sum, line) => sum + line.qty, 0));
}

async function reload() {
  session = await gp.getSession();
  render();
  await loadOrders();
}

/** Applies `change` to the cart with If-Match, re-reading once another tab changed it first. */
async function changeCart(change) {
  for (let attempt = 0; attempt < 3; attempt++) {
    session ??= await gp.getSession();
    try {
      session = await gp.updateMetadata({ cart: change(session.metadata.cart ?? []) }, { ifMatch: session.etag });
      render();
      tabs.postMessage('cart');
      return;
    } catch (error) {
      if (error.status !== 412) throw error;
      session = await gp.getSession();
    }
  }
}

function addToCart(sku) {
  gp.track('cart_added', { sku });
  return changeCart((cart) =>
    cart.some((line) => line.sku === sku)
      ? cart.map((line) => (line.sku === sku ? { ...line, qty: Math.min(99, line.qty + 1) } : line))
      : [...cart, { sku, qty: 1 }],
  );
}

async function loadOrders() {
  const response = await gp.fetch('/api/orders');
  const { orders = [] } = response.ok ? await response.json() : {};
  $('orders').replaceChildren(
    ...orders.map((order) => item(`${order.items.map((line) => `${nameOf(line.sku)} × ${line.qty}`).join(', ')}: ${price(order.totalCents)}`)),
  );
}

async function checkout() {
  const cart = session?.metadata.cart ?? [];
  if (cart.length === 0) return void ($('checkout-message').textContent = 'Your cart is empty.');
  const response = await gp.fetch('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: cart }) });
  const body = await response.json();
  if (response.status === 403) return void ($('checkout-message').textContent = 'Sign up or log in to check out: your cart comes with you.');
  if (!response.ok) return void ($('checkout-message').textContent = body.error_description);
  gp.track('checkout', { items: cart.length });
  $('checkout-message').textContent = `Order placed: ${price(body.totalCents)}.`;
  await changeCart(() => []);
  await loadOrders();
}

/** Runs a form's action, showing its error (the SDK's errors carry Guestpass's description). */
function onSubmit(id, action) {
  $(id).addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      $('account-message').textContent = '';
      await action(Object.fromEntries(new FormData(form)));
      form.reset();
    } catch (error) {
      $('account-message').textContent = error.message;
    }
  });
}

onSubmit('signup-form', async ({ email, password }) => {
  await gp.signUp({ email, password });
  pendingEmail = email;
  $('verify-form').hidden = false;
  $('account-message').textContent = `We mailed a code to ${email}.`;
});
onSubmit('verify-form', ({ code }) =>
  own(async () => {
    await gp.verify({ email: pendingEmail, code });
    $('verify-form').hidden = true;
    await reload();
    $('account-message').textContent = 'Welcome! Your cart is saved to your account.';
  }),
);
onSubmit('login-form', ({ email, password }) =>
  own(async () => {
    await gp.logIn({ email, password });
    await reload();
    $('account-message').textContent = 'Logged in: your guest cart was merged into your account.';
  }),
);
$('logout').addEventListener('click', () =>
  own(async () => {
    await gp.logOut();
    await reload();
    $('account-message').textContent = 'Logged out.';
  }),
);
$('checkout').addEventListener('click', () => void checkout());

/**
 * Non-zero while this tab's own sign-in, sign-out or first load runs: each reloads the page's
 * state once at its end, so the change it causes (the SDK tells this tab too) must not reload
 * it a second time.
 */
let busy = 0;
async function own(action) {
  busy++;
  try {
    return await action();
  } finally {
    busy--;
  }
}
// Another tab signed up, logged in or out, or the session was revoked: it changed under this page.
gp.onChange(() => busy === 0 && void reload());
tabs.onmessage = async () => {
  session = await gp.getSession();
  render();
};

products = (await (await fetch('/api/products')).json()).products;
$('products').replaceChildren(
  ...products.map((product) => {
    const li = item(`${product.name}: ${price(product.priceCents)} `);
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Add to cart';
    button.dataset.sku = product.sku;
    button.addEventListener('click', () => void addToCart(product.sku));
    li.append(button);
    return li;
  }),
);
await own(reload);
