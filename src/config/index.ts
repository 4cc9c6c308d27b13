import { join, resolve } from 'node:path';
import type { OptionSpec, OptionValues } from './option.js';
import type { coreOptions } from './options.js';

export { option, type OptionSpec, type OptionValues } from './option.js';
export { coreOptions } from './options.js';

/** A table of options: the server-wide ones and each feature's, as app/config.ts collects them. */
export type OptionTable = typeof coreOptions & Record<string, OptionSpec<unknown>>;

/** The validated configuration of a table of options. */
export type ConfigOf<S> = { [K in Exclude<keyof S, 'masterKey'>]: OptionValues<S>[K] } & {
  /** Absent in embedded mode until one is generated into the data folder. */
  masterKey: string | undefined;
};

/**
 * The validated server-wide options (config/options.ts). A feature names the ones it reads
 * with `Pick<CoreConfig, ...>`, so its dependencies say exactly which settings reach it.
 */
export type CoreConfig = ConfigOf<typeof coreOptions>;

/** A configuration value that cannot be used; the message names the variable and the flag. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `GUESTPASS_DATA_DIR` → `data-dir`. */
export function flagName(env: string): string {
  return env
    .replace(/^GUESTPASS_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

export interface LoadConfigOptions {
  /** Environment to read `GUESTPASS_*` variables from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** `guestpass serve` flags by kebab-case name; they win over the environment. */
  flags?: Record<string, string | undefined>;
}

export interface LoadedConfig<C> {
  config: C;
  /** Things worth a loud line in the log: unknown variables, insecure choices. */
  warnings: string[];
}

/**
 * Reads and validates every option of `options` (app/config.ts passes all of them). Throws a
 * ConfigError naming the exact variable (and flag) that is wrong, so a bad deployment stops at
 * start-up instead of failing at the first request.
 */
export function loadConfigFrom<S extends OptionTable>(options: S, { env = process.env, flags = {} }: LoadConfigOptions = {}): LoadedConfig<ConfigOf<S>> {
  const warnings: string[] = [];
  const knownEnv = new Set(Object.values(options).map((spec) => spec.env));
  for (const name of Object.keys(env)) {
    if (name.startsWith('GUESTPASS_') && !knownEnv.has(name) && !name.startsWith('GUESTPASS_TEST_')) {
      warnings.push(`Unknown environment variable ${name} is ignored; see the configuration table in the README.`);
    }
  }
  const knownFlags = new Set(Object.values(options).map((spec) => flagName(spec.env)));
  for (const flag of Object.keys(flags)) {
    if (!knownFlags.has(flag)) throw new ConfigError(`Unknown option --${flag}; see \`guestpass serve --help\`.`);
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options) as [string, OptionSpec<unknown>][]) {
    const flag = flagName(spec.env);
    const fromFlag = flags[flag];
    const raw = fromFlag ?? env[spec.env];
    if (raw === undefined || raw === '') {
      values[name] = spec.default;
      continue;
    }
    try {
      values[name] = spec.parse(raw);
    } catch (error) {
      const source = fromFlag !== undefined ? `--${flag}` : spec.env;
      throw new ConfigError(`${source} ${(error as Error).message}.`);
    }
  }

  const config = values as ConfigOf<typeof coreOptions>;
  config.dataDir = resolve(config.dataDir);
  config.databaseUrl ??= `sqlite:${join(config.dataDir, 'guestpass.db')}`;
  if (config.issuer === undefined) {
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    // Port 0 is resolved to the real port once the server listens (see app/server.ts).
    config.issuer = `http://${hostPart}:${config.port}`;
  } else if (!config.issuer.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(config.issuer)) {
    warnings.push(`GUESTPASS_ISSUER ${config.issuer} is not https: tokens and cookies will not be safe outside a test bench.`);
  }
  return { config: config as ConfigOf<S>, warnings };
}
