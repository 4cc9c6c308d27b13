import { parseArgs } from 'node:util';
import { activationDelaySeconds, minimumSafeActivationDelaySeconds } from '../crypto/key-activation.js';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass keys rotate [--sealing] [--now] [--json]   publish a new signing key (or session-token sealing key);
                                                       it takes over after GUESTPASS_KEY_ACTIVATION_DELAY, or at once with --now
  guestpass keys list [--json]                         the published signing keys`;

export async function keysCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: { ...configFlags, sealing: { type: 'boolean' }, now: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  switch (action) {
    case 'rotate': {
      const use = values.sealing ? 'enc' : 'sig';
      const rotated = await withContext(values, async (ctx) => {
        const delaySeconds = values.now ? 0 : activationDelaySeconds(ctx.config);
        const safeSeconds = minimumSafeActivationDelaySeconds(ctx.config.keyRefreshInterval);
        if (!values.now && delaySeconds < safeSeconds) {
          process.stderr.write(
            `warning: GUESTPASS_KEY_ACTIVATION_DELAY (${delaySeconds} s) is shorter than the key refresh interval plus the JWKS max-age (${safeSeconds} s): ` +
              'a server or an API that has not yet seen the new key will refuse its tokens until it does.\n',
          );
        }
        const options = { activationDelayMs: delaySeconds * 1000 };
        const key = use === 'enc' ? await ctx.keyring.rotateSealingKey(options) : await ctx.keyring.rotateSigningKey(options);
        ctx.events.emit('key.rotated', { time: ctx.now(), use, kid: key.kid });
        return { ...key, delaySeconds };
      });
      if (values.json) return void process.stdout.write(`${JSON.stringify({ kid: rotated.kid, use, activates_at: rotated.activatesAt })}\n`);
      const name = use === 'enc' ? 'sealing' : 'signing';
      process.stdout.write(
        values.now
          ? `New ${name} key ${rotated.kid} is current. Running servers switch to it within GUESTPASS_KEY_REFRESH_INTERVAL ` +
              `(until then other servers${use === 'sig' ? ', and APIs with a cached JWKS,' : ''} may refuse its tokens); ` +
              'the previous key stays valid until every token it covers has expired.\n'
          : `New ${name} key ${rotated.kid} is published and takes over at ${new Date(rotated.activatesAt).toISOString()} (in ${rotated.delaySeconds} s), ` +
              `once every server has loaded it${use === 'sig' ? ' and every cached JWKS holds it' : ''}. Until then the previous key stays in use; ` +
              'it stays valid until every token it covers has expired. `keys rotate --now` switches at once.\n',
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
