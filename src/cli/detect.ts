import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { DetectionConfig } from '../anomaly/config.js';
import { parseDetectionConfig } from '../anomaly/config-schema.js';
import { DetectionEngine } from '../anomaly/engine.js';
import { createDefaultGeoResolver } from '../anomaly/geo/index.js';
import { parseReplayLine, ReplayLineError } from '../anomaly/replay.js';
import type { DomainEvent } from '../events/types.js';
import { parseGeoTable } from '../anomaly/table-geo.js';
import type { GeoResolver } from '../anomaly/types.js';
import { configFlags, configFromFlags } from './config-flags.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: guestpass detect --replay FILE.jsonl [--config FILE.json] [--geo FILE.json]

Replays domain events (one JSON object per line, in event-time order; see docs/events.md)
through the same detection engine as the server and prints its findings as JSON lines,
once per detector, entity and alert window. A summary goes to stderr.

  --replay FILE   the events; "-" reads standard input
  --config FILE   detector overrides (JSON, as GUESTPASS_ANOMALY_CONFIG); unknown keys are refused
  --geo FILE      a fixed table of networks instead of the geo database:
                  {"203.0.113.0/24": {"country": "FR", "lat": 48.86, "lon": 2.35, "accuracy_km": 20, "asn": 3215, "datacenter": false}}

Without --geo, locations come from GUESTPASS_GEOIP_DATABASE (default: the bundled DB-IP City Lite).
Exit status: 0, or 1 when some lines were not valid events (each is reported and skipped), 2 on bad usage.`;

/** Invalid lines reported one by one before only their count is. */
const MAX_LINE_ERRORS = 20;

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`Cannot read the ${what} file ${path}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`The ${what} file ${path} is not valid JSON.`);
  }
}

function detectionConfig(path: string | undefined, fromEnvironment: DetectionConfig): DetectionConfig {
  if (path === undefined) return fromEnvironment;
  try {
    return parseDetectionConfig(readJson(path, 'configuration'));
  } catch (error) {
    throw new UsageError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function geoResolver(
  path: string | undefined,
  settings: { geoipDatabase?: string | undefined; geoipAsnDatabase?: string | undefined },
): Promise<GeoResolver> {
  if (path !== undefined) {
    try {
      return parseGeoTable(readJson(path, 'geo table'));
    } catch (error) {
      throw new UsageError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const resolver = createDefaultGeoResolver(settings);
  await resolver.ready();
  return resolver;
}

/** `guestpass detect --replay FILE.jsonl`: the server's engine over a recorded or simulated day. */
export async function detectCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { ...configFlags, replay: { type: 'string' }, config: { type: 'string' }, geo: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (!values.replay) throw new UsageError(USAGE);
  const { config, warnings } = configFromFlags(values);
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  const engine = new DetectionEngine({ config: detectionConfig(values.config, config.anomalyConfig), geo: await geoResolver(values.geo, config) });

  const source = values.replay === '-' ? process.stdin : createReadStream(values.replay);
  const opened = new Promise<void>((resolve, reject) => {
    if (source === process.stdin) return resolve();
    source.once('open', () => resolve());
    source.once('error', () => reject(new UsageError(`Cannot read the replay file ${values.replay}.`)));
  });
  await opened;

  let lineNumber = 0;
  let invalid = 0;
  let outOfOrder = 0;
  let last = -Infinity;
  for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    let event: DomainEvent;
    try {
      event = parseReplayLine(line);
    } catch (error) {
      if (!(error instanceof ReplayLineError)) throw error;
      if (++invalid <= MAX_LINE_ERRORS) process.stderr.write(`${values.replay}:${lineNumber}: ${error.message}; skipped.\n`);
      continue;
    }
    // The server's engine never sees its own alerts as evidence (anomaly/service.ts): neither does a replay of its log.
    if (event.type === 'alert.raised') continue;
    if (event.time < last) outOfOrder++;
    last = Math.max(last, event.time);
    for (const finding of engine.process(event)) process.stdout.write(`${JSON.stringify(finding)}\n`);
  }

  const { events, findings } = engine.stats();
  const counts = Object.entries(findings)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  process.stderr.write(`${events} events, ${counts.length ? counts.join(', ') : 'no findings'}.\n`);
  if (outOfOrder > 0) process.stderr.write(`warning: ${outOfOrder} events were earlier than an event before them; windows assume event-time order.\n`);
  if (invalid > 0) {
    process.stderr.write(`${invalid} invalid line${invalid === 1 ? ' was' : 's were'} skipped.\n`);
    process.exitCode = 1;
  }
}
