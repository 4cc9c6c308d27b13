import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { loggerOptions } from '../src/app/logger.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachDatabase('operations endpoints', (database) => {
  let server: TestServer;
  const logLines: string[] = [];
  before(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    server = await startTestServer({ database, logger: { ...(loggerOptions('trace') as object), stream } });
  });
  after(() => server.stop());

  it('should answer /healthz and /readyz', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), { status: 'ready' });
  });

  it('should count requests, tokens by grant and errors by code in /metrics', async () => {
    const { client_id, client_secret } = await server.createClient(['--name', 'metrics', '--type', 'confidential']);
    await server.clientCredentialsToken(client_id, client_secret!);
    await fetch(`${server.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password' }) });
    const response = await fetch(`${server.url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /guestpass_tokens_issued_total\{grant_type="client_credentials"\} 1/);
    assert.match(text, /guestpass_errors_total\{error="unsupported_grant_type",code="UNSUPPORTED_GRANT_TYPE"\} 1/);
    assert.match(text, /guestpass_http_request_duration_seconds_bucket\{le="[^"]+",route="\/oauth\/token",method="POST"\}/);
    assert.match(text, /guestpass_process_cpu_user_seconds_total/);
  });

  it('should serve an OpenAPI document built from the route schemas at /docs', async () => {
    const document = (await (await fetch(`${server.url}/docs`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(document.openapi, '3.1.0');
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/admin/api/clients', '/.well-known/jwks.json']) {
      assert.ok(document.paths[path], `${path} is documented`);
    }
  });

  it('should never log a token, a secret, an Authorization header or a raw IP address', async () => {
    const { client_id, client_secret } = await server.createClient(['--name', 'logs', '--type', 'confidential']);
    const token = await server.clientCredentialsToken(client_id, client_secret!);
    await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      body: new URLSearchParams({ token, client_id, client_secret: client_secret! }),
    });
    await fetch(`${server.url}/oauth/token?client_secret=${client_secret}`, { method: 'POST', body: new URLSearchParams({ grant_type: 'x' }) });
    const log = logLines.join('');
    assert.ok(log.includes('"path":"/oauth/introspect"'), 'requests are logged');
    assert.ok(log.includes('127.0.0.0/24'), 'with the IP prefix');
    for (const secret of [client_secret!, token, token.split('.')[1]!, 'Basic ', '127.0.0.1"']) {
      assert.ok(!log.includes(secret), `the log must not contain ${secret.slice(0, 12)}…`);
    }
  });
});
