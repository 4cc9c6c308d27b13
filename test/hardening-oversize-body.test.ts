import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const FORM = 'application/x-www-form-urlencoded';
/** A token request padded to `mebibytes`: over the limit, under what the server drains (8 MiB past it). */
const oversize = (mebibytes: number) => Buffer.from(`grant_type=client_credentials&padding=${'a'.repeat(mebibytes * 1_048_576)}`);

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

function expectBodyTooLarge({ status, contentType, body }: Answer): void {
  assert.equal(status, 413, body);
  assert.match(contentType ?? '', /^application\/json/);
  const answer = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(answer).sort(), ['error', 'error_description']);
  assert.equal(answer['error'], 'invalid_request');
  assert.match(String(answer['error_description']), /larger than/);
}

/** POST with node:http; rejects on any error of the request, even one after the answer (EPIPE). */
function postWithNodeHttp(url: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    let failure: Error | undefined;
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': FORM, 'content-length': body.length } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => (answer = { status: response.statusCode!, contentType: response.headers['content-type'], body: text }));
    });
    outgoing.on('error', (error) => (failure = error));
    // 'close' comes last, after the answer and after any write error on the way.
    outgoing.on('close', () => (failure ? reject(failure) : answer ? resolve(answer) : reject(new Error('closed without an answer'))));
    outgoing.end(body);
  });
}

// A separate process, as in production: a client sharing the server's event loop reads the
// answer before the reset can arrive, and hides the failure. Nothing reaches storage here.
describe('hardening: an oversize body gets a 413 the client can read', () => {
  let server: ServerProcess;
  let tokenUrl: string;
  before(async () => {
    server = await startServerProcess({ database: 'sqlite' });
    tokenUrl = `${server.url}/oauth/token`;
  });
  after(() => server.stop());

  for (const mebibytes of [2, 6]) {
    it(`should let fetch read the 413 for a ${mebibytes} MiB body, 5 of 5 tries`, async () => {
      const body = oversize(mebibytes);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body });
        expectBodyTooLarge({ status: response.status, contentType: response.headers.get('content-type') ?? undefined, body: await response.text() });
      }
    });

    it(`should let node:http read the 413 for a ${mebibytes} MiB body without EPIPE or ECONNRESET, 5 of 5 tries`, async () => {
      const body = oversize(mebibytes);
      for (let attempt = 1; attempt <= 5; attempt++) expectBodyTooLarge(await postWithNodeHttp(tokenUrl, body));
    });
  }

  it('should read a chunked 2 MiB body to its end before the 413', async () => {
    const body = oversize(2);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < body.length; offset += 65_536) controller.enqueue(body.subarray(offset, offset + 65_536));
          controller.close();
        },
      });
      const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body: chunks, duplex: 'half' } as RequestInit);
      expectBodyTooLarge({ status: response.status, contentType: response.headers.get('content-type') ?? undefined, body: await response.text() });
    }
  });

  it('should still answer a body within the limit', async () => {
    const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials' });
    assert.equal(response.status, 401, 'no client authentication: the body was read and parsed');
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });
});
