import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const repoRoot = new URL('..', import.meta.url).pathname;

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `guestpass serve` as its own process, the way `npm start` does, and waits for it. */
async function serve(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, GUESTPASS_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!/listening on (\S+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { process: child, url: /listening on (\S+)/.exec(output)![1]!, output: () => output, exited };
}

describe('first run and shutdown', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-lifecycle-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  let credentials: { id: string; secret: string };

  it('should create the data folder, keys and development clients, and print a working curl line', async () => {
    const server = await serve(dataDir);
    const curl = /curl -s -u '([^:]+):([^']+)' -d grant_type=client_credentials (\S+)\/oauth\/token/.exec(server.output());
    assert.ok(curl, `banner with a curl line:\n${server.output()}`);
    credentials = { id: curl[1]!, secret: curl[2]! };
    assert.equal(curl[3], server.url);
    assert.match(server.output(), /master key is stored in the data folder/, 'the generated master key is warned about');
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
    assert.ok(statSync(join(dataDir, 'guestpass.db')).isFile());

    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(response.status, 200);
    server.process.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });

  it('should not create clients or show a secret again on the next start', async () => {
    const server = await serve(dataDir);
    assert.doesNotMatch(server.output(), /client secret/);
    assert.ok(!server.output().includes(credentials.secret));
    server.process.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });

  it('should finish an in-flight request after SIGTERM, then exit 0', async () => {
    const server = await serve(dataDir);
    const { hostname, port } = new URL(server.url);
    const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const auth = Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64');
    // Headers and half the body now; the request is in flight when SIGTERM arrives.
    socket.write(
      `POST /oauth/token HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Basic ${auth}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(body.slice(5));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.match(response, /^HTTP\/1\.1 200/, response);
    assert.match(response, /"access_token"/);
    assert.equal(await server.exited, 0);
  });
});
