import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Finding } from '../anomaly/types.js';
import { assertPrivateEvidence } from '../../test/fixtures/anomaly/streams.js';
import { CLI_ARGS, repoRoot as root } from '../../test/helpers/paths.js';

const fixtures = join(root, 'test/fixtures/anomaly');
const replay = join(fixtures, 'replay.jsonl');
const geo = join(fixtures, 'geo.json');
const scratch = mkdtempSync(join(tmpdir(), 'guestpass-detect-'));

/** Runs `guestpass detect …` (compiled or from source, as this test runs); never throws on a non-zero exit. */
function detect(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI_ARGS, 'detect', ...args],
      { cwd: root, env: { ...process.env, GUESTPASS_LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

const parse = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
const summary = (findings: Finding[]) => findings.map((f) => `${f.detector} ${f.entity.kind}:${f.entity.id}`);

describe('guestpass detect --replay', { concurrency: true }, () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the findings of the fixture day as JSON lines, once per detector, entity and window', async () => {
    const { code, stdout, stderr } = await detect(['--replay', replay, '--geo', geo]);
    assert.equal(code, 0, stderr);
    const findings = parse(stdout);
    assert.deepEqual(summary(findings), [
      'token_reuse session:0190a000-0000-7000-8000-000000000001',
      'impossible_travel session:0190a000-0000-7000-8000-000000000001',
      'client_mismatch session:0190a000-0000-7000-8000-000000000002',
      'dpop_mismatch session:0190a000-0000-7000-8000-000000000004',
    ]);
    assert.equal(findings[1]!.evidence['speed_kmh'], 11401);
    assertPrivateEvidence(findings);
    assert.match(stderr, /^14 events, token_reuse 1, client_mismatch 1, dpop_mismatch 1, impossible_travel 1\.$/m);
  });

  it('uses the bundled geo database without --geo (documentation networks have no location, so no travel)', async () => {
    const { code, stdout, stderr } = await detect(['--replay', replay]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      parse(stdout).map((f) => f.detector),
      ['token_reuse', 'client_mismatch', 'dpop_mismatch'],
    );
  });

  it('applies a configuration file: a disabled detector reports nothing', async () => {
    const config = join(scratch, 'quiet.json');
    writeFileSync(config, JSON.stringify({ detectors: { token_reuse: { enabled: false }, impossible_travel: { track_users: false } } }));
    const { code, stdout } = await detect(['--replay', replay, '--geo', geo, '--config', config]);
    assert.equal(code, 0);
    assert.deepEqual(
      parse(stdout).map((f) => f.detector),
      ['impossible_travel', 'client_mismatch', 'dpop_mismatch'],
    );
  });

  it('refuses a configuration with an unknown key, naming it (exit 2)', async () => {
    const config = join(scratch, 'typo.json');
    writeFileSync(config, JSON.stringify({ detectors: { refresh_storm: { flor: 3 } } }));
    const { code, stdout, stderr } = await detect(['--replay', replay, '--geo', geo, '--config', config]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /unknown key "detectors\.refresh_storm\.flor"/);
  });

  it('reports each invalid line with its number, skips it, still replays the rest and exits 1', async () => {
    const lines = readFileSync(replay, 'utf8').trim().split('\n');
    const withRawAddress = JSON.stringify({ ...JSON.parse(lines[0]!), network: { ip_prefix: '198.51.100.23', ip_version: 4 } });
    const broken = [
      lines[0],
      '{not json',
      withRawAddress,
      JSON.stringify({ ...JSON.parse(lines[1]!), email: 'a@example.com' }),
      JSON.stringify({ type: 'session.exploded', time: 1 }),
      ...lines.slice(1),
    ].join('\n');
    const { code, stdout, stderr } = await detect(['--replay', '-', '--geo', geo], broken);
    assert.equal(code, 1);
    assert.equal(parse(stdout).length, 4);
    assert.match(stderr, /-:2: not JSON/);
    assert.match(stderr, /-:3: session\.created: field "network\.ip_prefix": expected string to match/);
    assert.match(stderr, /-:4: unknown field "email" in a session\.created event/);
    assert.match(stderr, /-:5: "type" must be a domain event name/);
    assert.match(stderr, /4 invalid lines were skipped/);
  });

  it('says how to use it when the replay file is missing or unreadable', async () => {
    const missing = await detect(['--geo', geo]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Usage: guestpass detect --replay FILE\.jsonl/);
    const unreadable = await detect(['--replay', join(scratch, 'nope.jsonl'), '--geo', geo]);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /Cannot read the replay file/);
  });
});
