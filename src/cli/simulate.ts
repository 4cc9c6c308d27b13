import { fileURLToPath } from 'node:url';
import { UsageError } from './usage.js';

/**
 * The attack simulator is development tooling: it lives in tools/simulator/, beside src/, and is
 * neither compiled into dist/ nor published (its table of real networks alone is 360 kB). The
 * product never imports it; this command loads it by URL, only when it runs, so a checkout run
 * with tsx finds it and a built or installed package says how to get it.
 */
export const SIMULATOR_ENTRY = new URL('../../tools/simulator/cli.js', import.meta.url);

export const SIMULATOR_MISSING = `The attack simulator is a development tool and is not part of the built package.
Run it from a checkout of the Guestpass repository:

  npm ci
  npm run simulate -- --seed 1 --hours 24

Options: npm run simulate -- --help; see docs/simulator.md.`;

/** What tools/simulator/cli.ts exports. */
interface Simulator {
  simulate(args: string[]): Promise<void>;
}

/** The simulator module, or undefined when `entry` is absent (a build without tools/). */
export async function loadSimulator(entry: URL = SIMULATOR_ENTRY): Promise<Simulator | undefined> {
  try {
    return (await import(entry.href)) as Simulator;
  } catch (error) {
    // Only the entry itself being absent means "no simulator here"; a module missing further
    // down is a broken checkout and surfaces as it is.
    if (isMissing(error, entry)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown, entry: URL): boolean {
  if (!(error instanceof Error) || !('code' in error) || error.code !== 'ERR_MODULE_NOT_FOUND') return false;
  if ('url' in error) return error.url === entry.href;
  return error.message.includes(`'${fileURLToPath(entry)}'`);
}

export async function simulateCommand(args: string[]): Promise<void> {
  const simulator = await loadSimulator();
  if (simulator) return simulator.simulate(args);
  if (!args.includes('--help')) throw new UsageError(SIMULATOR_MISSING);
  process.stdout.write(`${SIMULATOR_MISSING}\n`);
}
