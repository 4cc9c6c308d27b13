import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_CSP } from '../src/console-ui/headers.js';
import { builtConsole } from './helpers/console-build.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('console: serving the built app at /admin', () => {
  let server: TestServer;
  let indexHtml: string;
  before(async () => {
    server = await startTestServer({ database: 'sqlite', env: { GUESTPASS_CONSOLE_DIR: await builtConsole() } });
    indexHtml = await (await fetch(`${server.url}/admin/`)).text();
  });
  after(async () => server.stop());

  const assets = () => [...indexHtml.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((match) => match[1]!);

  it('should answer /admin/ with index.html under the strict CSP, revalidated on every load', async () => {
    const response = await fetch(`${server.url}/admin/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /script-src 'self'; style-src 'self';.*frame-ancestors 'none'; base-uri 'none'/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
  });

  it('should carry no inline script or style, only hashed files from /admin/assets/', () => {
    assert.doesNotMatch(indexHtml, /<script(?![^>]*\ssrc=)[^>]*>/, 'an inline <script>');
    assert.doesNotMatch(indexHtml, /<style|\sstyle=/, 'an inline style');
    const files = assets();
    assert.ok(files.some((file) => file.endsWith('.js')) && files.some((file) => file.endsWith('.css')), `assets: ${files.join(' ')}`);
    for (const file of files) assert.match(file, /-[A-Za-z0-9_-]{8}\.(?:js|css)$/, `${file} has no content hash`);
  });

  it('should send hashed assets with a year-long immutable cache, compressed for browsers that accept it', async () => {
    for (const file of assets()) {
      const plain = await fetch(`${server.url}${file}`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(plain.status, 200, file);
      assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(plain.headers.get('content-security-policy'), CONSOLE_CSP);
      const body = await plain.arrayBuffer();
      const compressed = await fetch(`${server.url}${file}`, { headers: { 'accept-encoding': 'br, gzip' } });
      assert.equal(compressed.headers.get('content-encoding'), 'br', file);
      // fetch decodes: the same bytes arrive either way.
      assert.equal((await compressed.arrayBuffer()).byteLength, body.byteLength);
    }
  });

  it('should answer every console page with index.html, and /admin with a redirect to /admin/', async () => {
    for (const page of ['security', 'users', 'sign-in', 'no-such-page']) {
      const response = await fetch(`${server.url}/admin/${page}?id=x`);
      assert.equal(response.status, 200, page);
      assert.equal(await response.text(), indexHtml);
    }
    const bare = await fetch(`${server.url}/admin`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/admin/');
  });

  it('should leave unknown admin API URLs and missing assets to JSON errors, never the app', async () => {
    const api = await fetch(`${server.url}/admin/api`);
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: string }).error, 'not_found');
    const unknownApi = await fetch(`${server.url}/admin/api/nothing-here`);
    assert.equal(unknownApi.status, 404);
    assert.match(unknownApi.headers.get('content-type') ?? '', /json/);
    const asset = await fetch(`${server.url}/admin/assets/missing-00000000.js`);
    assert.equal(asset.status, 404);
    const byName = await fetch(`${server.url}${assets()[0]}.br`);
    assert.equal(byName.status, 404, 'a compressed copy is sent in place of its file, never by name');
    const odd = await fetch(`${server.url}/admin/Not_A.Page`);
    assert.equal(odd.status, 404);
    assert.equal(((await odd.json()) as { error: string }).error, 'not_found');
  });
});

describe('console: not built', () => {
  let server: TestServer;
  const empty = mkdtempSync(join(tmpdir(), 'guestpass-no-console-'));
  before(async () => {
    server = await startTestServer({ database: 'sqlite', env: { GUESTPASS_CONSOLE_DIR: empty } });
  });
  after(async () => {
    await server.stop();
    rmSync(empty, { recursive: true, force: true });
  });

  it('should answer 503 with a sentence that says to run npm run build', async () => {
    for (const path of ['/admin/', '/admin/overview', '/admin/assets/index-00000000.js']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 503, path);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /npm run build/);
    }
  });
});
