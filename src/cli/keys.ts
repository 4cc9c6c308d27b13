import { parseArgs } from 'node:util';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass keys rotate [--sealing] [--json]   make a new signing key (or session-token sealing key) current
  guestpass keys list [--json]                 the published signing keys`;

export async function keysCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseArgs({ args: rest, strict: true, options: { ...configFlags, sealing: { type: 'boolean' }, json: { type: 'boolean' } } });
  switch (action) {
    case 'rotate': {
      const kid = await withContext(values, async (ctx) => {
        const kid = values.sealing ? await ctx.keyring.rotateSealingKey() : await ctx.keyring.rotateSigningKey();
        ctx.events.emit('key.rotated', { time: ctx.now(), use: values.sealing ? 'enc' : 'sig', kid });
        return kid;
      });
      if (values.json) return void process.stdout.write(`${JSON.stringify({ kid, use: values.sealing ? 'enc' : 'sig' })}\n`);
      process.stdout.write(
        `New ${values.sealing ? 'sealing' : 'signing'} key ${kid} is current. Running servers pick it up within GUESTPASS_KEY_REFRESH_INTERVAL; ` +
          'the previous key stays valid until every token it covers has expired.\n',
      );
      return;
    }
    case 'list': {
      const jwks = await withContext(values, async (ctx) => ctx.keyring.jwks());
      if (values.json) return void process.stdout.write(`${JSON.stringify(jwks)}\n`);
      for (const key of jwks.keys) process.stdout.write(`${key.kid}  ${key.alg}\n`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
