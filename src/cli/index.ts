#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.js';
import { clientsCommand } from './clients.js';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { detectCommand } from './detect.js';
import { keysCommand } from './keys.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: guestpass <command>

Commands:
  serve      run the server (applies migrations first)
  migrate    apply database migrations and exit
  clients    create, list, rotate-secret, delete registered applications
  keys       rotate or list signing keys
  detect     replay domain events (JSON lines) through the detectors and print findings
  simulate   labelled attack traffic through the detectors: detection rate, time to detect, false alerts

Every command reads the same GUESTPASS_* environment and --flags (see guestpass serve --help).`;

async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, strict: true, options: configFlags });
  const applied = await withContext(values, async (ctx) => ctx.notes.migrationsApplied);
  process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  clients: clientsCommand,
  keys: keysCommand,
  detect: detectCommand,
  simulate: simulateCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = name && !['help', '--help', '-h'].includes(name) ? 2 : 0;
    return;
  }
  await command(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ConfigError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
  process.stderr.write(`guestpass: ${error instanceof Error ? error.message : String(error)}\n`);
  if (!known && error instanceof Error && error.stack && process.env['GUESTPASS_LOG_LEVEL'] === 'debug') process.stderr.write(`${error.stack}\n`);
  process.exitCode = known ? 2 : 1;
});
