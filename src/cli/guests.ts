import { parseArgs } from 'node:util';
import type { CullReport } from '../sessions/cull.js';
import { cullView } from '../sessions/views.js';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass guests cull [--dry-run] [--json]   delete stale guests and purge expired sessions, denylist entries and
                                               e-mail proofs now; --dry-run shows what that would delete, changing nothing`;

const date = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function describe(report: CullReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${report.dryRun ? 'Dry run: the cull' : 'The cull'} ${verb} ${report.users} stale guests and ${report.sessions} of their sessions` +
      (report.users > 0 ? ` (last seen ${date(report.oldestLastSeenAt)} to ${date(report.newestLastSeenAt)}).` : '.'),
  ];
  for (const [clientId, entry] of Object.entries(report.byClient)) {
    lines.push(`  ${clientId}: ${entry.users} (last seen ${date(entry.oldestLastSeenAt)} to ${date(entry.newestLastSeenAt)})`);
  }
  const { sessions, revocations, emailProofs } = report.purged;
  lines.push(`Expired rows it ${verb}: ${sessions} sessions and tombstones, ${revocations} denylisted access tokens, ${emailProofs} e-mail proofs.`);
  if (!report.complete) lines.push('It stopped early; the next run carries on.');
  return lines.join('\n');
}

export async function guestsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseArgs({ args: rest, strict: true, options: { ...configFlags, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } });
  if (action !== 'cull') throw new UsageError(USAGE);
  const report = await withContext(values, (ctx) => ctx.guestCull.run({ dryRun: values['dry-run'] === true }));
  process.stdout.write(`${values.json ? JSON.stringify(cullView(report)) : describe(report)}\n`);
}
