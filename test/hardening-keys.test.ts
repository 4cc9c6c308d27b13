import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { startServer, type RunningServer } from '../src/app/server.js';
import { loadConfig } from '../src/app/config.js';
import { describeEachDatabase } from './helpers/databases.js';
import { FAST_KEY_REFRESH, startTestServer, type TestServer } from './helpers/server.js';

/** Every entry under `dir` (itself included) with its permission bits. */
function modesUnder(dir: string): Map<string, number> {
  const modes = new Map<string, number>([['.', statSync(dir).mode & 0o777]]);
  const walk = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      modes.set(name, statSync(path).mode & 0o777);
      if (entry.isDirectory()) walk(path, name);
    }
  };
  walk(dir, '');
  return modes;
}

function assertPrivate(modes: Map<string, number>, dir: string): void {
  for (const [name, mode] of modes) {
    const isFolder = statSync(join(dir, name)).isDirectory();
    assert.equal(mode.toString(8), (isFolder ? 0o700 : 0o600).toString(8), `${name} is ${mode.toString(8)}`);
  }
}

async function confidentialClient(server: RunningServer): Promise<{ id: string; secret: string }> {
  const created = await server.ctx.clients.create({ name: 'keys', type: 'confidential' });
  return { id: created.client.id, secret: created.clientSecret! };
}

async function accessToken(server: RunningServer, client: { id: string; secret: string }): Promise<string> {
  const response = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const body = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token!;
}

async function jwksOf(server: RunningServer): Promise<JSONWebKeySet> {
  return (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
}

const kidOf = (jwt: string): string | undefined => decodeProtectedHeader(jwt).kid;

describeEachDatabase('Private data folder', (database) => {
  let parent: string;
  let previousUmask: number;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'guestpass-private-'));
    // The usual umask, under which a plain create gives 0755 folders and 0644 files.
    previousUmask = process.umask(0o022);
  });
  after(() => {
    process.umask(previousUmask);
    rmSync(parent, { recursive: true, force: true });
  });

  it('creates the data folder 0700 and every file in it 0600 whatever the umask', async () => {
    const dataDir = join(parent, `fresh-${database}`);
    const server = await startTestServer({ database, env: { GUESTPASS_DATA_DIR: dataDir } });
    try {
      // A write through the server (and the migrations before it) leaves the WAL in place.
      await accessToken(server, await confidentialClient(server));
      const modes = modesUnder(dataDir);
      const expected = database === 'sqlite' ? ['master.key', 'guestpass.db', 'guestpass.db-wal', 'guestpass.db-shm'] : ['master.key'];
      for (const name of expected) assert.ok(modes.has(name), `${name} exists (found ${[...modes.keys()].join(', ')})`);
      assertPrivate(modes, dataDir);
    } finally {
      await server.stop();
    }
  });

  it('tightens a data folder and files an older version left readable by others, and logs it', async () => {
    const dataDir = join(parent, `older-${database}`);
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'master.key'), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o644 });
    // An older server still running (or one that crashed) keeps its -wal and -shm beside the file.
    const older = database === 'sqlite' ? new BetterSqlite3(join(dataDir, 'guestpass.db')) : undefined;
    older?.pragma('journal_mode = WAL');
    older?.exec('create table older_version (id integer)');
    assert.equal(statSync(dataDir).mode & 0o777, 0o755);

    const lines: string[] = [];
    const server = await startTestServer({
      database,
      env: { GUESTPASS_DATA_DIR: dataDir },
      logger: { level: 'info', stream: { write: (line: string) => void lines.push(line) } },
    });
    try {
      const modes = modesUnder(dataDir);
      if (database === 'sqlite') for (const name of ['guestpass.db', 'guestpass.db-wal', 'guestpass.db-shm']) assert.ok(modes.has(name), name);
      assertPrivate(modes, dataDir);
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; paths?: string[] }).find((line) => /permissions tightened/.test(line.msg));
      assert.ok(logged, `a log line names what was tightened:\n${lines.join('')}`);
      assert.ok(logged.paths?.includes(dataDir), 'the folder is named');
      assert.ok(logged.paths?.includes(join(dataDir, 'master.key')), 'the master key is named');
    } finally {
      older?.close();
      await server.stop();
    }
  });
});

describeEachDatabase('Staged signing-key rotation', (database) => {
  let server: TestServer;
  let client: { id: string; secret: string };
  before(async () => {
    // The CLI rotates from a process of its own: the server sees it at its next re-read.
    server = await startTestServer({ database, env: FAST_KEY_REFRESH });
    client = await confidentialClient(server);
  });
  after(() => server.stop());

  /** Polls the JWKS (the server re-reads keys every 0.1 s in tests) until it lists `kid`. */
  async function jwksListing(kid: string): Promise<JSONWebKeySet> {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(50)) {
      const jwks = await jwksOf(server);
      if (jwks.keys.some((key) => key.kid === kid)) return jwks;
    }
    assert.fail(`the JWKS never listed ${kid}`);
  }

  it('publishes a rotated key at once and signs with it only from its activation time', async () => {
    const oldKid = kidOf(await accessToken(server, client));
    const rotated = JSON.parse(await server.cli(['keys', 'rotate', '--json', '--key-activation-delay', '4'])) as {
      kid: string;
      use: string;
      activates_at: number;
    };
    assert.equal(rotated.use, 'sig');
    assert.ok(rotated.activates_at > Date.now(), 'the new key activates in the future');

    // An API that fetches the JWKS now, and caches it, already knows the key tokens will carry.
    const cached = await jwksListing(rotated.kid);
    assert.deepEqual(cached.keys.map((key) => key.kid).sort(), [oldKid, rotated.kid].sort());

    // Every token issued before the activation time is signed with the old key; the first one
    // requested after it carries the new kid. Polling waits for that moment without guessing.
    let seenNew = false;
    while (!seenNew) {
      const sentAt = Date.now();
      const jwt = await accessToken(server, client);
      const receivedAt = Date.now();
      if (receivedAt < rotated.activates_at) assert.equal(kidOf(jwt), oldKid, 'signed with the new key before its activation time');
      if (sentAt >= rotated.activates_at) {
        assert.equal(kidOf(jwt), rotated.kid, 'still signing with the old key after the activation time');
        seenNew = true;
      }
      // Whatever key signed it, the JWKS cached before the switch verifies it.
      await jwtVerify(jwt, createLocalJWKSet(cached));
      if (!seenNew) await sleep(Math.min(100, Math.max(0, rotated.activates_at - Date.now())));
    }
    assert.ok(
      (await jwksOf(server)).keys.some((key) => key.kid === oldKid),
      'the old key stays published for its tokens',
    );
  });

  it('signs with the new key at once after keys rotate --now', async () => {
    const previousKid = kidOf(await accessToken(server, client));
    const rotated = JSON.parse(await server.cli(['keys', 'rotate', '--now', '--json'])) as { kid: string; activates_at: number };
    assert.ok(rotated.activates_at <= Date.now());
    await jwksListing(rotated.kid);
    // The server picks the key up at its next re-read (0.1 s here), not after an activation delay.
    let kid = previousKid;
    for (const deadline = Date.now() + 5000; kid !== rotated.kid && Date.now() < deadline; await sleep(50)) {
      kid = kidOf(await accessToken(server, client));
    }
    assert.equal(kid, rotated.kid);
    assert.ok(
      (await jwksOf(server)).keys.some((key) => key.kid === previousKid),
      'the replaced key stays published for its tokens',
    );
  });

  it("keeps every fresh token of two nodes verifiable with the other node's JWKS through a rotation", async () => {
    // The first node promotes the staged key at its next re-read after the activation time.
    const first = await startTestServer({ database, env: FAST_KEY_REFRESH });
    // A second node on the same store (same data folder, database and schema) that re-reads
    // the key table only every second: the window in which it has not yet seen a rotation.
    const { config } = loadConfig({ env: { ...first.env, GUESTPASS_KEY_REFRESH_INTERVAL: '1' }, flags: { port: '0', host: '127.0.0.1' } });
    const second = await startServer({ config, logger: false, print: () => {} });
    try {
      const nodeClient = await confidentialClient(first);
      const oldKid = kidOf(await accessToken(second, nodeClient));
      // Longer than the second node's refresh interval: it loads the key before anyone uses it.
      const activationDelayMs = 2500;
      const deadline = Date.now() + activationDelayMs + 5000;
      const rotated = await first.ctx.keyring.rotateSigningKey({ activationDelayMs });
      for (let switched = false; !switched; await sleep(50)) {
        assert.ok(Date.now() < deadline, 'both nodes sign with the new key soon after its activation time');
        // JWKS first, tokens second: each JWKS is a little older than the token it must verify.
        const [jwksFirst, jwksSecond] = await Promise.all([jwksOf(first), jwksOf(second)]);
        const [fromFirst, fromSecond] = await Promise.all([accessToken(first, nodeClient), accessToken(second, nodeClient)]);
        await jwtVerify(fromFirst, createLocalJWKSet(jwksSecond)).catch((error: unknown) =>
          assert.fail(`first node's ${kidOf(fromFirst)} token, second node's JWKS: ${String(error)}`),
        );
        await jwtVerify(fromSecond, createLocalJWKSet(jwksFirst)).catch((error: unknown) =>
          assert.fail(`second node's ${kidOf(fromSecond)} token, first node's JWKS: ${String(error)}`),
        );
        for (const jwt of [fromFirst, fromSecond]) assert.ok([oldKid, rotated.kid].includes(kidOf(jwt)));
        switched = kidOf(fromFirst) === rotated.kid && kidOf(fromSecond) === rotated.kid;
      }
    } finally {
      await second.close();
      await first.stop();
    }
  });
});
