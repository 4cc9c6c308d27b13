/**
 * Every Guestpass option: the server-wide ones (config/options.ts) and each feature's (its
 * `options.ts`), collected here in the composition root from the manifests in app/features.ts,
 * so that config/ imports no feature. The README's configuration table and
 * `guestpass serve --help` are generated from this list.
 */
import { type ConfigOf, type LoadConfigOptions, type LoadedConfig, loadConfigFrom } from '../config/index.js';
import { manifests } from './features.js';

/** The options of every manifest together, each keeping its own type (an intersection, first to last). */
type CollectedOptions<M extends readonly unknown[]> = M extends readonly [infer First, ...infer Rest]
  ? (First extends { options: infer O } ? O : never) & CollectedOptions<Rest>
  : unknown;

export const options = Object.assign({}, ...manifests.map((manifest) => manifest.options)) as CollectedOptions<typeof manifests>;

export type OptionName = keyof typeof options;

/** The validated configuration the server runs with. */
export type Config = ConfigOf<typeof options>;

/** Reads and validates every option; see loadConfigFrom. */
export function loadConfig(settings: LoadConfigOptions = {}): LoadedConfig<Config> {
  return loadConfigFrom(options, settings);
}
