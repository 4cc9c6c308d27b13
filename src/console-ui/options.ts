import { fileURLToPath } from 'node:url';
import { option, type OptionValues } from '../config/option.js';

/**
 * Where `npm run build` puts the console: dist/console of the package. This file runs as
 * src/console-ui/options.ts (tsx, tests) and as dist/console-ui/options.js (npm start), two
 * folders below the package root either way.
 */
export const BUILT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** Options of the console-ui feature (collected with the others in app/config.ts). */
export const consoleUiOptions = {
  consoleDir: option({
    env: 'GUESTPASS_CONSOLE_DIR',
    default: BUILT_CONSOLE_DIR,
    defaultDoc: 'dist/console of the installed package',
    doc: 'The folder of the built operators’ console served at /admin (index.html and assets/). `off` serves no console; the admin API stays.',
    parse: (raw) => raw.trim(),
  }),
} as const;

/** The values of the console-ui options, as the server's configuration holds them. */
export type ConsoleUiConfig = OptionValues<typeof consoleUiOptions>;
