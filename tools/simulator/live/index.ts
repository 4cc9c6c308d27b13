import { setTimeout as sleep } from 'node:timers/promises';
import type { Finding, Severity } from '../../../src/anomaly/types.js';
import { evaluate, type SimulationReport } from '../evaluate.js';
import { generateTraffic, type TrafficOptions } from '../traffic.js';
import { ATTACK_KINDS, type AttackKind } from '../truth.js';
import { LiveHttp, loopbackBase } from './http.js';
import { LivePlayer } from './player.js';

/**
 * Every kind but off-hours bursts can be played (live mode sends no telemetry, which is what
 * an off-hours burst is made of); the two stuffing kinds need the server's /accounts/login.
 */
export const LIVE_KINDS: readonly AttackKind[] = ATTACK_KINDS.filter((kind) => kind !== 'off_hours');
const NEEDS_LOGIN: ReadonlySet<AttackKind> = new Set(['credential_stuffing', 'low_and_slow_stuffing']);

export interface LiveOptions extends TrafficOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Simulated seconds per wall-clock second. */
  speed: number;
  horizonMs?: number;
  log?: (line: string) => void;
}

interface AlertView {
  detector: string;
  entity: { kind: Finding['entity']['kind']; id: string };
  window_start: number;
  severity: Severity;
  score: number;
  first_seen: number;
}

/**
 * `guestpass simulate --live URL`: the same labelled traffic, scaled down, played as real HTTP
 * requests against a running server (loopback only), then scored from the server's own
 * alerts (GET /admin/api/alerts). Guest sessions only: no account is registered, so logins,
 * sign-ups and account takeovers are left out (impossible travel is played as a session
 * hijack), and telemetry batches are not sent. The server decides everything else itself:
 * its rate limits, its grace window, its detection and its containment.
 */
export async function runLive(options: LiveOptions): Promise<{ report: SimulationReport; wallMs: number; notes: string[] }> {
  const log = options.log ?? (() => {});
  const http = new LiveHttp(loopbackBase(options.url));
  const started = performance.now();
  const notes: string[] = [];

  const token = await http.call('POST', '/oauth/token', { form: { grant_type: 'client_credentials' }, basic: [options.clientId, options.clientSecret] });
  const adminToken = token.body['access_token'];
  if (token.status !== 200 || typeof adminToken !== 'string')
    throw new Error(`the admin client could not get a token (${token.status} ${String(token.body['error'] ?? '')}): give an admin client's id and secret.`);
  const probe = await http.call('GET', '/admin/api/alerts?limit=1', { bearer: adminToken });
  if (probe.status !== 200)
    throw new Error(
      `GET /admin/api/alerts answered ${probe.status} ${String(probe.body['error'] ?? '')}: the server must run anomaly detection, and the client must be an admin.`,
    );
  const loginRoute = (await http.call('POST', '/accounts/login', { json: {} })).status !== 404;

  let attacks = options.attacks ?? LIVE_KINDS;
  if (!loginRoute && attacks.some((kind) => NEEDS_LOGIN.has(kind))) {
    notes.push('the server has no /accounts/login: credential_stuffing and low_and_slow_stuffing were left out');
    attacks = attacks.filter((kind) => !NEEDS_LOGIN.has(kind));
  }
  const traffic = generateTraffic({ ...options, attacks, guestOnly: true });
  const { context } = traffic;

  // Clients like the simulation's: a web app with a 10 s refresh grace, a mobile app, a partner app.
  const clientIds = new Map<string, string>();
  const created: string[] = [];
  for (const [name, sim, grace] of [
    ['web', context.clients.web, 10],
    ['mobile', context.clients.mobile, 0],
    ['partner', context.clients.partner, 0],
  ] as const) {
    const result = await http.call('POST', '/admin/api/clients', {
      bearer: adminToken,
      json: { name: `simulator ${name} (seed ${traffic.options.seed})`, type: 'public', guest: { refresh_grace: grace } },
    });
    if (result.status !== 201) throw new Error(`creating a client failed: ${result.status} ${JSON.stringify(result.body)}`);
    clientIds.set(sim.id, String(result.body['client_id']));
    created.push(String(result.body['client_id']));
  }

  const player = new LivePlayer(http, clientIds, loginRoute);
  const runStart = Date.now();
  const toWall = (simTime: number) => runStart + (simTime - context.start) / options.speed;
  const toSim = (wallTime: number) => context.start + (wallTime - runStart) * options.speed;
  log(
    `simulate --live: playing ${traffic.options.hours} simulated h in ${((traffic.options.hours * 3600) / options.speed).toFixed(0)} s against ${options.url}`,
  );
  let events = 0;
  let nextLog = runStart + 30_000;
  for (const event of traffic.events) {
    const wait = toWall(event.time) - Date.now();
    if (wait > 2) await sleep(wait);
    player.play(event);
    events += 1;
    if (Date.now() >= nextLog) {
      log(`  ${events} events, ${http.requests} requests so far`);
      nextLog += 30_000;
    }
  }
  await player.settled();
  // Alerts are folded into the store every second.
  await sleep(2500);

  const alerts: AlertView[] = [];
  let cursor: string | undefined;
  do {
    const page = await http.call('GET', `/admin/api/alerts?since=${runStart}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      bearer: adminToken,
    });
    if (page.status !== 200) throw new Error(`GET /admin/api/alerts answered ${page.status}`);
    alerts.push(...(page.body['alerts'] as AlertView[]));
    cursor = typeof page.body['next_cursor'] === 'string' ? page.body['next_cursor'] : undefined;
  } while (cursor);
  for (const id of created) await http.call('DELETE', `/admin/api/clients/${id}`, { bearer: adminToken });

  // The server's alerts in the simulation's terms: its ids, its clock.
  const findings: Finding[] = alerts.map((alert) => ({
    detector: alert.detector,
    entity: {
      kind: alert.entity.kind,
      id:
        alert.entity.kind === 'session' || alert.entity.kind === 'user'
          ? (player.simIdOf.get(`${alert.entity.kind}:${alert.entity.id}`) ?? alert.entity.id)
          : alert.entity.id,
    },
    score: alert.score,
    severity: alert.severity,
    time: toSim(alert.first_seen),
    window_start: toSim(alert.window_start),
    evidence: {},
  }));
  const report = evaluate(traffic.truth, findings, events, {
    ...(options.horizonMs !== undefined ? { horizonMs: options.horizonMs } : {}),
    places: context.places,
  });
  notes.push(`${http.requests} requests; statuses ${[...http.statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; ${alerts.length} alerts read back`);
  if (player.stats.skipped.size > 0) notes.push(`not played: ${[...player.stats.skipped].map(([k, n]) => `${k} ${n}`).join('; ')}`);
  if (player.stats.unexpected.size > 0)
    notes.push(`answered otherwise than simulated (containment, limits): ${[...player.stats.unexpected].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  return { report, wallMs: performance.now() - started, notes };
}
