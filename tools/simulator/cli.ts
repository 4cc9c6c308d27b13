import { parseArgs } from 'node:util';
import { configFlags, configFromFlags } from '../../src/cli/config-flags.js';
import { UsageError } from '../../src/cli/usage.js';
import { runLive, LIVE_KINDS } from './live/index.js';
import { jsonReport, tableReport } from './report.js';
import { replaySimulation } from './run.js';
import { ATTACK_KINDS, type AttackKind } from './truth.js';

const USAGE = `Usage: npm run simulate -- --seed N --hours H [--attacks LIST] [--report json] [options]
       (from a checkout; the same as npx tsx src/cli/index.ts simulate)

Generates labelled traffic — visitors with the hard negatives (carrier NAT, VPNs, travellers,
two tabs, a flash crowd) and injected attacks — runs it through the detection engine on event
time, and reports per attack kind how many were detected, the median time to detect, and the
false alerts per 10,000 legitimate sessions. The same seed gives the same traffic.

  --seed N              random seed (default 1)
  --hours H             simulated hours (default 24; 0.1 with --live)
  --attacks LIST        comma-separated kinds, "all" (default) or "none":
                        ${ATTACK_KINDS.join(', ')}
  --per-kind N          instances of each kind (default one per 2 simulated hours, at least 1)
  --sessions-per-day N  new legitimate sessions per day (default 40000; 10000 with --live)
  --warmup-hours H      no attack before this many hours (default min(1, hours/4))
  --horizon-s S         a finding counts up to S s after an attack's last request (default 600)
  --report json|table   json prints one object (default table)
  --detail              json: add per-attack results and false-alert samples; table: list every attack
  --anomaly-config, --geoip-database, --geoip-asn-database: as for guestpass serve

Live mode: drives a running server over loopback with real HTTP calls, in real time.
  --live URL            the server, e.g. http://127.0.0.1:8080 (loopback only). Start it with
                        GUESTPASS_TRUSTED_PROXIES=1 so X-Forwarded-For places each request in its network.
  --client-id ID        an admin client (guestpass clients create --type confidential --admin),
  --client-secret S     or GUESTPASS_SIMULATE_CLIENT_ID and GUESTPASS_SIMULATE_CLIENT_SECRET
  --speed X             simulated seconds per wall second (default 1; rates and limits scale with it)
  Live mode plays guest sessions and failed logins only (${LIVE_KINDS.join(', ')});
  see docs/simulator.md.`;

function number(value: string | undefined, name: string, fallback: number, { min = 0, integer = false } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}.`);
  return n;
}

function attackList(value: string | undefined, allowed: readonly AttackKind[]): AttackKind[] {
  if (value === undefined || value === 'all') return [...allowed];
  if (value === 'none') return [];
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const kind of kinds) {
    if (!(ATTACK_KINDS as readonly string[]).includes(kind)) throw new UsageError(`Unknown attack "${kind}"; choose from ${ATTACK_KINDS.join(', ')}.`);
    if (!allowed.includes(kind as AttackKind))
      throw new UsageError(`--live cannot play "${kind}" (it needs registered accounts); choose from ${allowed.join(', ')}.`);
  }
  return kinds as AttackKind[];
}

/**
 * `guestpass simulate`, loaded by src/cli/simulate.ts only when the command runs: the simulator
 * is development tooling and is not built into dist/.
 */
export async function simulate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      ...configFlags,
      help: { type: 'boolean' },
      seed: { type: 'string' },
      hours: { type: 'string' },
      attacks: { type: 'string' },
      'per-kind': { type: 'string' },
      'sessions-per-day': { type: 'string' },
      'warmup-hours': { type: 'string' },
      'horizon-s': { type: 'string' },
      report: { type: 'string' },
      detail: { type: 'boolean' },
      live: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      speed: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const live = values.live as string | undefined;
  const report = (values.report as string | undefined) ?? 'table';
  if (report !== 'json' && report !== 'table') throw new UsageError('--report must be json or table.');
  const hours = number(values.hours as string | undefined, 'hours', live ? 0.1 : 24, { min: 0.01 });
  const perKindRaw = values['per-kind'] as string | undefined;
  const warmupRaw = values['warmup-hours'] as string | undefined;
  const options = {
    seed: number(values.seed as string | undefined, 'seed', 1, { integer: true }),
    hours,
    attacks: attackList(values.attacks as string | undefined, live ? LIVE_KINDS : ATTACK_KINDS),
    sessionsPerDay: number(values['sessions-per-day'] as string | undefined, 'sessions-per-day', live ? 10_000 : 40_000, { min: 1 }),
    ...(perKindRaw !== undefined ? { perKind: number(perKindRaw, 'per-kind', 1, { integer: true }) } : {}),
    ...(warmupRaw !== undefined ? { warmupHours: number(warmupRaw, 'warmup-hours', 0) } : {}),
    horizonMs: number(values['horizon-s'] as string | undefined, 'horizon-s', 600) * 1000,
  };
  const withDetail = values.detail === true;
  const print = (result: Parameters<typeof tableReport>[0], facts: Parameters<typeof tableReport>[1]): void => {
    process.stdout.write(report === 'json' ? `${JSON.stringify(jsonReport(result, withDetail))}\n` : tableReport(result, facts, withDetail));
  };

  if (live) {
    const clientId = (values['client-id'] as string | undefined) ?? process.env['GUESTPASS_SIMULATE_CLIENT_ID'];
    const clientSecret = (values['client-secret'] as string | undefined) ?? process.env['GUESTPASS_SIMULATE_CLIENT_SECRET'];
    if (!clientId || !clientSecret)
      throw new UsageError(
        '--live needs an admin client: --client-id and --client-secret (or GUESTPASS_SIMULATE_CLIENT_ID and GUESTPASS_SIMULATE_CLIENT_SECRET).',
      );
    const speed = number(values.speed as string | undefined, 'speed', 1, { min: 0.01 });
    const result = await runLive({ ...options, url: live, clientId, clientSecret, speed, log: (line) => process.stderr.write(`${line}\n`) });
    print(result.report, {
      title: `Live against ${live} (seed ${options.seed}, ${hours} simulated h at ${speed}×)`,
      wallMs: result.wallMs,
      notes: result.notes,
    });
    return;
  }

  // The server's own configuration (environment and flags): detector overrides and geo files.
  const { config } = configFromFlags(values);
  const result = await replaySimulation({
    ...options,
    config: config.anomalyConfig,
    geoSettings: { geoipDatabase: config.geoipDatabase, geoipAsnDatabase: config.geoipAsnDatabase },
  });
  print(result.report, { title: `Simulated ${hours} h (seed ${options.seed})`, wallMs: result.wallMs, engineMs: result.engineMs });
}
