import { parseArgs } from 'node:util';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';

/** `guestpass migrate`: opening the store applies pending migrations; report which. */
export async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, strict: true, options: configFlags });
  const applied = await withContext(values, async (ctx) => ctx.notes.migrationsApplied);
  process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
}
