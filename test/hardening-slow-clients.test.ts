import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openConnection, parseResponse, within, type RawConnection } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Short versions of the three timeouts, so a test sees them fire (defaults: 10 s, 30 s, 72 s). */
const TIMEOUTS = { GUESTPASS_HEADERS_TIMEOUT: '300ms', GUESTPASS_REQUEST_TIMEOUT: '600ms', GUESTPASS_KEEP_ALIVE_TIMEOUT: '300ms' };
/** Far beyond every timeout above: a connection still open then is being held. */
const DEADLINE_MS = 8000;

/** Announces 1,000 bytes of body and sends 11 of them. */
const slowBody = (host: string) =>
  `POST /oauth/token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=`;

/** The connection was answered with 408 as an RFC 6749 error object, then closed. */
async function expectTimedOut(connection: RawConnection, what: string): Promise<void> {
  await within(connection.closed, DEADLINE_MS, `${what}: the server kept the connection open`);
  const response = parseResponse(connection.received());
  assert.equal(response.status, 408, connection.received());
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(response.headers['connection'], 'close');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body['error'], 'invalid_request');
}

// Connection handling only: nothing here reaches storage, so one database is enough.
describe('hardening: slow clients cannot hold connections', () => {
  let server: TestServer;
  let host: string;
  before(async () => {
    server = await startTestServer({ database: 'sqlite', env: TIMEOUTS });
    host = new URL(server.url).host;
  });
  after(() => server.stop());

  it('should answer a body that never arrives with 408 and close the connection', async () => {
    const connection = await openConnection(server.url);
    await connection.write(slowBody(host));
    await expectTimedOut(connection, 'Content-Length 1000, 11 bytes sent');
  });

  it('should answer headers that stop halfway with 408 and close the connection', async () => {
    const connection = await openConnection(server.url);
    await connection.write(`GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: ${host}\r\n`);
    await expectTimedOut(connection, 'headers without their final empty line');
  });

  it('should close 300 slow senders, not keep them', async () => {
    const connections = await Promise.all(Array.from({ length: 300 }, () => openConnection(server.url)));
    await Promise.all(connections.map((connection) => connection.write(slowBody(host))));
    await within(Promise.all(connections.map((connection) => connection.closed)), DEADLINE_MS, 'slow senders still connected');
    const statuses = connections.map((connection) => parseResponse(connection.received()).status);
    assert.deepEqual([...new Set(statuses)], [408]);
  });

  it('should close an idle keep-alive connection', async () => {
    const connection = await openConnection(server.url);
    await connection.write(`GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await within(connection.closed, DEADLINE_MS, 'the idle keep-alive connection stayed open');
    const response = parseResponse(connection.received());
    assert.equal(response.status, 200);
    assert.notEqual(response.headers['connection'], 'close', 'the connection was kept alive, then closed for idleness');
  });
});
