import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: guestpass events export --since TIME [--until TIME] [--type TYPE]

Writes the domain events of the audit log (GUESTPASS_AUDIT_LOG) whose event time is at or after
--since and before --until to standard output, one JSON object per line, oldest first: exactly
the format guestpass detect --replay reads, so a day of real traffic replays against new
detector settings:

  guestpass events export --since 2026-03-01 --until 2026-03-02 > day.jsonl
  guestpass detect --replay day.jsonl --config new-thresholds.json

  --since TIME   ISO 8601 date or date-time, or epoch milliseconds (required)
  --until TIME   the same; everything from --since on when absent
  --type TYPE    only this event type (e.g. session.created); a replay needs them all`;

/** Output is handed to stdout in chunks this large, waiting when the reader is slower. */
const CHUNK_BYTES = 64 * 1024;

function parseTime(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${flag} "${value}" is not a time: use an ISO 8601 date or date-time, or epoch milliseconds.`);
  return ms;
}

async function write(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

/** `guestpass events export`: the audit log as replay lines, streamed a page at a time. */
export async function eventsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: { ...configFlags, since: { type: 'string' }, until: { type: 'string' }, type: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (action !== 'export' || values.since === undefined) throw new UsageError(USAGE);
  const since = parseTime(values.since, 'since');
  const until = parseTime(values.until, 'until');
  if (since !== undefined && until !== undefined && since >= until) throw new UsageError('--since must be before --until.');
  const count = await withContext(values, async (ctx) => {
    let written = 0;
    let chunk = '';
    for await (const line of ctx.audit.export({
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(values.type !== undefined ? { type: values.type } : {}),
    })) {
      chunk += `${line}\n`;
      written++;
      if (chunk.length >= CHUNK_BYTES) {
        await write(chunk);
        chunk = '';
      }
    }
    if (chunk) await write(chunk);
    return written;
  });
  process.stderr.write(`${count} events.\n`);
}
