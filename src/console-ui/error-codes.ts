import { defineErrors } from '../shared/errors.js';

/** Failures of the console's pages under /admin (the admin API has its own). */
export const consoleUiError = defineErrors({
  CONSOLE_NOT_BUILT: {
    status: 503,
    error: 'temporarily_unavailable',
    // A missing build, not an internal failure: the operator needs the sentence.
    expose: true,
    description:
      'The console is not built: run `npm run build` in the Guestpass package (npm install does it), or point GUESTPASS_CONSOLE_DIR at a built console.',
  },
  CONSOLE_PAGE_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No console page or file has this address; the console starts at /admin/.',
  },
});

export type ConsoleUiErrorCode = keyof typeof consoleUiError.catalogue;
