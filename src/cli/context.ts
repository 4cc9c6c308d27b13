import { createContext, type AppContext } from '../app/context.js';
import { configFromFlags } from './config-flags.js';

/**
 * Runs a CLI command against the same store as `serve` (same data folder, database URL and
 * master key), then closes it.
 */
export async function withContext<T>(values: Record<string, unknown>, run: (ctx: AppContext) => Promise<T>): Promise<T> {
  const { config, warnings } = configFromFlags(values);
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  const ctx = await createContext({ config });
  try {
    return await run(ctx);
  } finally {
    await ctx.close();
  }
}
