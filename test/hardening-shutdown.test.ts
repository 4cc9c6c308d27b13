import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { openConnection, parseResponse, within } from './helpers/raw-http.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const TOKEN_BODY = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
/**
 * What each deadline below tells apart is an answer (or an exit) from none at all: a stop that
 * forgets a request, or a stuck body that holds the shutdown, waits for ever (Node stops
 * enforcing the request timeout once the server closes). So a deadline far above the second or
 * so these take on an idle machine loses nothing, and a loaded machine (a busy test run, CI)
 * cannot fail them by being slow.
 */
const HANG_MS = 60_000;

describeEachDatabase('hardening: a stopping server answers in the house style', (database) => {
  const started: ServerProcess[] = [];
  after(() => Promise.all(started.map((server) => server.stop())));
  const start = async (env: Record<string, string> = {}) => {
    const server = await startServerProcess({ database, env });
    started.push(server);
    return server;
  };

  it('should finish the in-flight request after SIGTERM and answer a new one with 503 temporarily_unavailable and Retry-After', async () => {
    const server = await start();
    const client = await server.createClient(['--name', 'api', '--type', 'confidential']);
    const host = new URL(server.url).host;

    // Still sending its headers when the stop begins: its request is new to the server.
    const late = await openConnection(server.url);
    await late.write(`GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: ${host}\r\n`);
    // Headers and five bytes of body: in flight when the stop begins.
    const inFlight = await openConnection(server.url);
    await inFlight.write(
      `POST /oauth/token HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${basic(client.client_id, client.client_secret!)}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${TOKEN_BODY.length}\r\n\r\n${TOKEN_BODY.slice(0, 5)}`,
    );
    // Logged once its headers are read, so the earlier bytes of `late` have been read too.
    await server.waitForOutput(/"path":"\/oauth\/token"[^\n]*incoming request|incoming request[^\n]*"path":"\/oauth\/token"/);

    server.child.kill('SIGTERM');
    await server.waitForOutput(/stopping: in-flight requests finish, new ones get 503/);

    await late.write('\r\n');
    await within(late.closed, HANG_MS, 'the request that arrived during the stop was not answered');
    const refused = parseResponse(late.received());
    assert.equal(refused.status, 503, late.received());
    assert.match(refused.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal(refused.headers['connection'], 'close');
    const body = JSON.parse(refused.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.equal(body['error'], 'temporarily_unavailable');
    assert.match(String(body['error_description']), /shutting down/, 'the sentence tells the client to retry elsewhere or later, not the generic 5xx text');

    await inFlight.write(TOKEN_BODY.slice(5));
    await within(inFlight.closed, HANG_MS, 'the in-flight request did not finish');
    const finished = parseResponse(inFlight.received());
    assert.equal(finished.status, 200, inFlight.received());
    assert.equal(typeof (JSON.parse(finished.body) as Record<string, unknown>)['access_token'], 'string');
    assert.equal(finished.headers['connection'], 'close', 'a response during the stop closes its connection');

    assert.equal(await within(server.exited, HANG_MS, 'the server did not exit'), 0);
  });

  it('should not let a client that never finishes its body hold the shutdown past GUESTPASS_SHUTDOWN_TIMEOUT', async () => {
    const server = await start({ GUESTPASS_SHUTDOWN_TIMEOUT: '1' });
    const stuck = await openConnection(server.url);
    await stuck.write(
      `POST /oauth/token HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=`,
    );
    await server.waitForOutput(/incoming request/);

    server.child.kill('SIGTERM');
    assert.equal(await within(server.exited, HANG_MS, 'the stuck request held the shutdown'), 0);
    // The server's own deadline, not its exit, ended the request: it logged that it closed the connections still open.
    assert.match(server.output(), /shutdown timeout: closing the connections still open/);
    await within(stuck.closed, HANG_MS, 'the stuck connection is closed');
  });
});
