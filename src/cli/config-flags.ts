import type { ParseArgsConfig } from 'node:util';
import { loadConfig, options, type Config } from '../app/config.js';
import { flagName, type LoadedConfig } from '../config/index.js';

type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** Every configuration option as a `--kebab-case` string flag, shared by all commands. */
export const configFlags: FlagSpec = Object.fromEntries(Object.values(options).map((spec) => [flagName(spec.env), { type: 'string' as const }]));

const configFlagNames = new Set(Object.keys(configFlags));

/** Loads the configuration from the environment and whichever parsed flags are config flags. */
export function configFromFlags(values: Record<string, unknown>): LoadedConfig<Config> {
  const flags: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (configFlagNames.has(name) && typeof value === 'string') flags[name] = value;
  }
  return loadConfig({ flags });
}
