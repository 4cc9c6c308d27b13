import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { startTestServer } from './helpers/server.js';

/**
 * Work that runs beside requests (event listeners, telemetry and stats flushes, mail) is built
 * before the Fastify app and its logger exist; its failures must still reach the server's log.
 */
it('should log a failing event listener through the server logger, without its payload', async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = await startTestServer({ database: 'sqlite', logger: { level: 'error', stream } });
  try {
    server.ctx.events.on('client.updated', () => {
      throw new Error('listener broke');
    });
    server.ctx.events.emit('client.updated', { time: Date.now(), client_id: 'c1' });
    const line = lines.find((entry) => entry['msg'] === 'event listener failed');
    assert.ok(line, `no 'event listener failed' line among ${JSON.stringify(lines)}`);
    assert.equal(line['event'], 'client.updated');
    assert.equal((line['err'] as { message: string }).message, 'listener broke');
  } finally {
    await server.stop();
  }
});
