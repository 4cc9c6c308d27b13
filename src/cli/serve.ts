import { parseArgs } from 'node:util';
import { startServer } from '../app/server.js';
import { configFlags, configFromFlags } from './config-flags.js';
import { configHelp } from './help.js';

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...configFlags, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(`Usage: guestpass serve [options]\n\n${configHelp()}\n`);
    return;
  }
  const { config, warnings } = configFromFlags(values);
  // Signals are caught before the server starts: a supervisor may send SIGTERM as soon as it
  // sees "listening", and one that arrived before the handlers were installed killed the
  // process without draining. A signal during start-up stops the server once it is up.
  let signalled: string | undefined;
  let stop = (signal: string) => {
    signalled ??= signal;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const server = await startServer({ config });
  for (const warning of warnings) server.app.log.warn(warning);

  let stopping = false;
  stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (signalled) stop(signalled);
}
