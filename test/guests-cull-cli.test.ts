import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const DAY = 24 * 3_600_000;

/**
 * `guestpass guests cull` is the operator's way to run the cull by hand (test/guest-culling.test.ts
 * covers the cull itself over the admin API). The guests are made on a server whose clock runs
 * 100 days behind, so for the command, which runs on real time, they are long stale.
 */
describeEachDatabase('guestpass guests cull', (database) => {
  let server: TestServer;
  let clientId: string;

  before(async () => {
    server = await startTestServer({ database, now: () => Date.now() - 100 * DAY, env: { GUESTPASS_CULL_INTERVAL: '0' } });
    clientId = await new GuestAdmin(server).publicClient();
    for (let i = 0; i < 3; i++) {
      const created = await createGuest(server, { client_id: clientId, metadata: { cart: [`item-${i}`] } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
    }
  });
  after(() => server?.stop());

  it('should report with --dry-run what the real run then deletes, and nothing after', async () => {
    const cull = async (...flags: string[]) => JSON.parse(await server.cli(['guests', 'cull', '--json', ...flags])) as Record<string, unknown>;
    const dryRun = await cull('--dry-run');
    assert.equal(dryRun['dry_run'], true);
    assert.equal(dryRun['users'], 3);
    assert.equal((dryRun['by_client'] as Record<string, { users: number }>)[clientId]?.users, 3);

    const real = await cull();
    assert.deepEqual({ ...real, dry_run: true, at: dryRun['at'] }, dryRun, 'the real run deletes exactly what the dry run reported');
    assert.equal((await cull('--dry-run'))['users'], 0);
  });

  it('should print a sentence without --json and refuse an unknown action', async () => {
    assert.match(await server.cli(['guests', 'cull', '--dry-run']), /^Dry run: the cull would delete 0 stale guests/);
    await assert.rejects(server.cli(['guests', 'purge']), /Usage:/);
  });
});
