/**
 * Every Guestpass option: the server-wide ones (config/options.ts) and each feature's (its
 * `options.ts`), collected here in the composition root so that config/ imports no feature.
 * A new feature's options are one line below. The README's configuration table and
 * `guestpass serve --help` are generated from this list.
 */
import { accountOptions } from '../accounts/options.js';
import { anomalyOptions } from '../anomaly/options.js';
import { coreOptions, loadConfigFrom, type ConfigOf, type LoadConfigOptions, type LoadedConfig } from '../config/index.js';
import { telemetryOptions } from '../telemetry/options.js';

export const options = { ...coreOptions, ...accountOptions, ...telemetryOptions, ...anomalyOptions } as const;

export type OptionName = keyof typeof options;

/** The validated configuration the server runs with. */
export type Config = ConfigOf<typeof options>;

/** Reads and validates every option; see loadConfigFrom. */
export function loadConfig(settings: LoadConfigOptions = {}): LoadedConfig<Config> {
  return loadConfigFrom(options, settings);
}
