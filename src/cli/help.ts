import { options } from '../app/config.js';
import { flagName } from '../config/index.js';

/** The configuration options as help text, from the same declarations as the README table. */
export function configHelp(): string {
  return Object.values(options)
    .map((spec) => {
      const fallback = spec.defaultDoc ?? JSON.stringify(spec.default);
      return `  --${flagName(spec.env)}  (${spec.env}, default ${fallback})\n      ${spec.doc}`;
    })
    .join('\n');
}
