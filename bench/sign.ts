// `npm run bench -- sign`: access-token signing in-process, no HTTP. Compares jose's SignJWT
// (WebCrypto, asynchronous) with our signCompactJws (node:crypto, synchronous) on the same key
// and the same RFC 9068 claims, for ES256 and EdDSA; jose's jwtVerify is measured for reference.
// Prints ops/s and CPU time per operation: for a server, CPU per token is what decides throughput.
// BENCH_SIGN_SECONDS sets the time per case (default 2.5 s).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SignJWT, importJWK, jwtVerify } from 'jose';
import { signCompactJws, type SigningAlg, type SigningKey } from '../src/crypto/jws.js';

const SECONDS = Number(process.env['BENCH_SIGN_SECONDS'] ?? 2.5);
/** WebCrypto signs on the libuv thread pool, so a server with many requests in flight overlaps them. */
const IN_FLIGHT = 64;

const iat = Math.floor(Date.now() / 1000);
const claims = {
  iss: 'http://127.0.0.1:4455',
  sub: 'cl_8c1d7f0e2b9a4c63',
  aud: 'http://127.0.0.1:4455',
  exp: iat + 900,
  iat,
  jti: randomBytes(16).toString('base64url'),
  client_id: 'cl_8c1d7f0e2b9a4c63',
  scope: 'orders:read',
};

/**
 * Throughput, and CPU time per operation over all threads: jose's WebCrypto signs on the libuv
 * thread pool, so its ops/s can use a second core that a busy server would rather keep.
 */
interface Rate {
  opsPerSecond: number;
  cpuMicrosPerOp: number;
}

function rateOf(count: number, startMs: number, cpuBefore: NodeJS.CpuUsage): Rate {
  const cpu = process.cpuUsage(cpuBefore);
  return { opsPerSecond: (count * 1000) / (performance.now() - startMs), cpuMicrosPerOp: (cpu.user + cpu.system) / count };
}

/** Calls `op` until `seconds` have passed (after a short warm-up). */
function measureSync(op: () => unknown, seconds = SECONDS): Rate {
  const run = (ms: number) => {
    let count = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    // Reading the clock every call would cost as much as a signature; check every 64.
    while (performance.now() < start + ms) {
      for (let i = 0; i < 64; i++) op();
      count += 64;
    }
    return rateOf(count, start, cpuBefore);
  };
  run(300);
  return run(seconds * 1000);
}

/** As measureSync, with `inFlight` concurrent loops each awaiting one operation at a time. */
async function measureAsync(op: () => Promise<unknown>, inFlight: number, seconds = SECONDS): Promise<Rate> {
  const run = async (ms: number) => {
    let count = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const loop = async () => {
      while (performance.now() < start + ms) {
        await op();
        count++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
    return rateOf(count, start, cpuBefore);
  };
  await run(300);
  return run(seconds * 1000);
}

function line(label: string, { opsPerSecond, cpuMicrosPerOp }: Rate): void {
  const ops = Math.round(opsPerSecond).toLocaleString('en-US').padStart(9);
  console.log(`  ${label.padEnd(46)}${ops} ops/s ${cpuMicrosPerOp.toFixed(0).padStart(6)} µs CPU/op`);
}

function keyPair(alg: SigningAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
}

async function benchAlg(alg: SigningAlg): Promise<void> {
  const { privateKey, publicKey } = keyPair(alg);
  const ours: SigningKey = { kid: 'bench', alg, privateKey };
  // Imported once, as a server would: jose then signs with a WebCrypto CryptoKey.
  const joseKey = await importJWK({ ...privateKey.export({ format: 'jwk' }), alg }, alg);
  const header = { alg, kid: 'bench', typ: 'at+jwt' };
  const joseSign = () => new SignJWT(claims).setProtectedHeader(header).sign(joseKey);
  const oursSign = () => signCompactJws(ours, { typ: 'at+jwt' }, claims);

  // Both must produce tokens jose accepts, or the comparison means nothing.
  for (const token of [await joseSign(), oursSign()]) {
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: [alg], typ: 'at+jwt' });
    assert.deepEqual(payload, claims);
    assert.equal(protectedHeader.kid, 'bench');
  }

  console.log(alg);
  const joseSequential = await measureAsync(joseSign, 1);
  line('jose SignJWT (await each)', joseSequential);
  const joseConcurrent = await measureAsync(joseSign, IN_FLIGHT);
  line(`jose SignJWT (${IN_FLIGHT} in flight)`, joseConcurrent);
  const oursRate = measureSync(oursSign);
  line('signCompactJws (node:crypto, sync)', oursRate);
  const ratio = (jose: Rate) => (oursRate.opsPerSecond / jose.opsPerSecond).toFixed(2);
  const cpuRatio = (jose: Rate) => (jose.cpuMicrosPerOp / oursRate.cpuMicrosPerOp).toFixed(2);
  console.log(`  ratio signCompactJws / jose, ops/s: ${ratio(joseSequential)}× (await each), ${ratio(joseConcurrent)}× (${IN_FLIGHT} in flight)`);
  console.log(`  jose CPU per op / ours:             ${cpuRatio(joseSequential)}× (await each), ${cpuRatio(joseConcurrent)}× (${IN_FLIGHT} in flight)`);
}

async function benchVerify(): Promise<void> {
  const { privateKey, publicKey } = keyPair('ES256');
  const token = signCompactJws({ kid: 'bench', alg: 'ES256', privateKey }, { typ: 'at+jwt' }, claims);
  // The options AccessTokens.verifySignature uses, minus the key lookup and the clock.
  const options = { algorithms: ['ES256'], typ: 'at+jwt', issuer: claims.iss, requiredClaims: ['sub', 'jti', 'client_id', 'exp', 'iat', 'aud'] };
  console.log('Reference');
  line('jose jwtVerify ES256 (KeyObject, await each)', await measureAsync(() => jwtVerify(token, publicKey, options), 1));
}

export async function main(): Promise<void> {
  console.log(`Access-token signing, Node ${process.version}, ${SECONDS} s per case, load average ${loadavg()[0]!.toFixed(2)}\n`);
  await benchAlg('ES256');
  console.log();
  await benchAlg('EdDSA');
  console.log();
  await benchVerify();
}
