import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI_ARGS, repoRoot } from './helpers/paths.js';

/** Every server started here, killed at the end if a failed test left it running. */
const started = new Set<ChildProcess>();

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `guestpass serve` as its own process, the way `npm start` does, and waits for it.
 * `waitFor` resolves once the output (stdout and stderr, pino's JSON lines included) matches.
 */
async function serve(dataDir: string, logLevel = 'warn'): Promise<Child & { waitFor(pattern: RegExp): Promise<void> }> {
  const child = spawn(process.execPath, [...CLI_ARGS, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', logLevel], {
    cwd: repoRoot,
    env: { ...process.env, GUESTPASS_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The deadline only turns a hang into a failure; a busy machine can take many seconds to start a process.
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        stop();
        resolve();
      };
      const fail = (why: string) => () => {
        stop();
        reject(new Error(`no ${pattern} in the server output: ${why}\n${output}`));
      };
      const timer = setTimeout(fail(`not within ${timeoutMs} ms`), timeoutMs);
      const onExit = fail('the server exited');
      const stop = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        child.off('exit', onExit);
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', onExit);
      check();
    });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor(/listening on (\S+)/);
  } catch (error) {
    // A server left running would keep this file's process, and so the whole run, from ending.
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  started.add(child);
  const url = /listening on (\S+)/.exec(output)![1]!;
  // The line is printed just before `serve` installs its signal handlers; an answer comes only
  // after, so a SIGTERM sent from here on is handled rather than killing the process outright.
  await (await fetch(`${url}/healthz`)).text();
  return { process: child, url, output: () => output, exited, waitFor };
}

describe('first run and shutdown', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-lifecycle-'));
  after(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
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
    // At info, the server logs each request it has read the headers of, and the start of its shutdown.
    const server = await serve(dataDir, 'info');
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
    await server.waitFor(/"method":"POST","path":"\/oauth\/token"[^\n]*"msg":"incoming request"/);
    server.process.kill('SIGTERM');
    await server.waitFor(/shutting down/);
    socket.write(body.slice(5));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.match(response, /^HTTP\/1\.1 200/, response);
    assert.match(response, /"access_token"/);
    assert.equal(await server.exited, 0);
  });
});
