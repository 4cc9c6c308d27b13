// `npm run bench -- token`: client_credentials over HTTP on 127.0.0.1, each server in its own
// child process (bench/token-target.ts), loaded by autocannon from this one:
//   ceiling        a bare Fastify JSON echo: what this machine's HTTP stack can do at all
//   guestpass      POST /oauth/token, client_secret_basic, SQLite, rate limiter on
//   oidc-provider  node-oidc-provider issuing the same ES256 at+jwt access token
// Settings as for every HTTP bench (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP,
// BENCH_TARGETS): see bench/harness.ts.
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  checkFailures,
  measureAll,
  printAim,
  printPreamble,
  printTable,
  rowOf,
  selectTargets,
  shareOfCeiling,
  startTarget,
  timesPeer,
} from './harness.js';
import type { TargetRequest } from './target.js';
import type { TargetName } from './token-target.js';

const TARGET_SCRIPT = fileURLToPath(new URL('./token-target.ts', import.meta.url));

const TARGETS = selectTargets<{ name: TargetName; label: string }>([
  { name: 'ceiling', label: 'Fastify JSON echo (ceiling)' },
  { name: 'guestpass', label: 'Guestpass client_credentials' },
  { name: 'oidc-provider', label: 'oidc-provider client_credentials' },
]);

/** One real request first: a benchmark of error responses would be worthless. */
async function verify(name: TargetName, { url, method, headers, body }: TargetRequest): Promise<string> {
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${name}: expected 200 from ${url}, got ${response.status}: ${text.slice(0, 500)}`);
  if (name === 'ceiling') return 'echo ok';
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  const encodedHeader = typeof token === 'string' && token.split('.').length === 3 ? token.split('.')[0] : undefined;
  if (typeof token !== 'string' || !encodedHeader) throw new Error(`${name}: 200 without a JWT access_token: ${text.slice(0, 500)}`);
  const { alg, typ } = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as { alg?: string; typ?: string };
  if (alg !== 'ES256' || typ !== 'at+jwt') throw new Error(`${name}: expected an ES256 at+jwt token, got alg ${alg}, typ ${typ}`);
  return `${alg} ${typ} access token, ${token.length} characters`;
}

export async function main(): Promise<BenchRow[]> {
  printPreamble('client_credentials');
  const results = await measureAll(
    TARGETS,
    (name) => startTarget<TargetRequest>(TARGET_SCRIPT, name),
    async (name: TargetName, { info }) => ({ verified: await verify(name, info), load: () => info }),
  );
  printTable(TARGETS, results);

  console.log('');
  printAim('Guestpass / oidc-provider:', results.get('guestpass'), results.get('oidc-provider'), 2, 'ratio');
  printAim('Guestpass / ceiling:', results.get('guestpass'), results.get('ceiling'), 0.5, 'share');
  checkFailures(results);
  const guestpass = results.get('guestpass');
  return rowOf('`client_credentials`', guestpass, {
    ...timesPeer(guestpass, results.get('oidc-provider'), 'oidc-provider'),
    ...shareOfCeiling(guestpass, results.get('ceiling')),
  });
}
