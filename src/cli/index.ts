#!/usr/bin/env node
import { UsageError } from './usage.js';

type Command = (args: string[]) => Promise<void>;

/**
 * Each command is imported only when it runs: `guestpass clients create` must not load the
 * server, the detectors or the simulator, and a test or script that runs it pays only for
 * what it uses.
 */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'run the server (applies migrations first)', load: async () => (await import('./serve.js')).serveCommand },
  migrate: { summary: 'apply database migrations and exit', load: async () => (await import('./migrate.js')).migrateCommand },
  clients: { summary: 'create, list, rotate-secret, delete registered applications', load: async () => (await import('./clients.js')).clientsCommand },
  webhooks: {
    summary: 'create, list, rotate, disable, enable, delete webhook endpoints',
    load: async () => (await import('./webhooks.js')).webhooksCommand,
  },
  admins: {
    summary: 'add, remove, list console operators (registered accounts with a role)',
    load: async () => (await import('./admins.js')).adminsCommand,
  },
  keys: { summary: 'rotate or list signing keys', load: async () => (await import('./keys.js')).keysCommand },
  guests: { summary: 'cull stale guests now (or --dry-run: what that would delete)', load: async () => (await import('./guests.js')).guestsCommand },
  detect: {
    summary: 'replay domain events (JSON lines) through the detectors and print findings',
    load: async () => (await import('./detect.js')).detectCommand,
  },
  events: {
    summary: 'export the domain-event log as JSON lines (the detect --replay format)',
    load: async () => (await import('./events.js')).eventsCommand,
  },
  simulate: {
    summary: 'labelled attack traffic through the detectors: detection rate, time to detect, false alerts',
    load: async () => (await import('./simulate.js')).simulateCommand,
  },
};

const USAGE = `Usage: guestpass <command>

Commands:
${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(9)}  ${summary}`)
  .join('\n')}

Every command reads the same GUESTPASS_* environment and --flags (see guestpass serve --help).`;

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = name && !['help', '--help', '-h'].includes(name) ? 2 : 0;
    return;
  }
  await (await command.load())(args);
}

/**
 * A mistake of the caller (bad usage, bad configuration, bad flags) is one line and exit 2.
 * ConfigError is recognised by name: importing config/ here would load every feature's options
 * for commands that do not need them.
 */
function isUsageMistake(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'ConfigError' || ('code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = isUsageMistake(error);
  process.stderr.write(`guestpass: ${error instanceof Error ? error.message : String(error)}\n`);
  if (!known && error instanceof Error && error.stack && process.env['GUESTPASS_LOG_LEVEL'] === 'debug') process.stderr.write(`${error.stack}\n`);
  process.exitCode = known ? 2 : 1;
});
