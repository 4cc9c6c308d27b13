import type { FastifyReply } from 'fastify';

/**
 * The server's few HTML pages (mailed links, the device verification page): server-rendered,
 * no script and no outside resource (the CSP says so), so they work on any browser at hand.
 */
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const BASE_STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button,input{font:inherit;padding:.4rem .8rem}';

/**
 * Sends one page; `style` adds rules of the page's own after the shared ones. `referrerPolicy`
 * is `no-referrer` by default (a mailed link's token must reach no one); a page whose form is
 * checked against its Origin needs `same-origin`, since under `no-referrer` Chromium sends
 * `Origin: null` with the form's POST.
 */
export function htmlPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: string,
  style = '',
  referrerPolicy: 'no-referrer' | 'same-origin' = 'no-referrer',
) {
  reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .header('Referrer-Policy', referrerPolicy)
    .header('Cache-Control', 'no-store');
  return reply.send(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>` +
      `<style>${BASE_STYLE}${style}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}
