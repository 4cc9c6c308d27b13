import { parseArgs } from 'node:util';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass admins add EMAIL [--role admin|viewer]   give a registered account the console (default role: admin)
  guestpass admins remove EMAIL                      take it away; its console sessions end
  guestpass admins list [--json]                     operators: user id, role, whether TOTP is on`;

const ADMINS_OPTIONS = {
  ...configFlags,
  role: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const print = (value: unknown): void => {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
};

function emailOf(positionals: string[], action: string): string {
  const email = positionals[0];
  if (!email || positionals.length > 1) throw new UsageError(`admins ${action} takes one e-mail address.\n${USAGE}`);
  return email;
}

/** `guestpass admins …`: who may sign in to the console, and with which role. */
export async function adminsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: ADMINS_OPTIONS });

  switch (action) {
    case 'add': {
      const email = emailOf(positionals, 'add');
      const role = values.role ?? 'admin';
      if (role !== 'admin' && role !== 'viewer') throw new UsageError(`--role must be admin or viewer, not "${role}".`);
      const { userId, previousRole } = await withContext(values, (ctx) => ctx.operators.add(email, role));
      if (values.json) return print({ id: userId, role, previous_role: previousRole ?? null });
      if (previousRole === role) return print(`${email} (${userId}) already is an operator with the ${role} role.`);
      print(
        previousRole
          ? `${email} (${userId}) now has the ${role} role (was ${previousRole}).`
          : `${email} (${userId}) is now an operator with the ${role} role: sign in at /admin with the account's password.`,
      );
      return;
    }
    case 'remove': {
      const email = emailOf(positionals, 'remove');
      const userId = await withContext(values, (ctx) => ctx.operators.remove(email));
      if (values.json) return print({ id: userId, removed: true });
      print(`${email} (${userId}) is no longer an operator; its console sessions have ended.`);
      return;
    }
    case 'list': {
      if (positionals.length > 0) throw new UsageError(`admins list takes no arguments.\n${USAGE}`);
      const operators = await withContext(values, (ctx) => ctx.operators.list());
      const views = operators.map((operator) => ({
        id: operator.userId,
        role: operator.role,
        totp_enabled: operator.totpEnabled,
        created_at: new Date(operator.createdAt).toISOString(),
      }));
      if (values.json) return print({ operators: views });
      if (views.length === 0) return print('No operators yet: give a registered account the console with `guestpass admins add EMAIL`.');
      for (const view of views) print(`${view.id}  ${view.role.padEnd(6)}  ${view.totp_enabled ? 'totp' : 'no-totp'}  since ${view.created_at}`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
