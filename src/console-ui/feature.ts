import type { FastifyInstance } from 'fastify';
import type { ConsoleUiConfig } from './options.js';
import { consoleRoutes } from './routes.js';

export interface ConsoleUiDeps {
  config: ConsoleUiConfig;
}

export interface ConsoleUiFeature {
  /** Mounts /admin (the app's pages) and /admin/assets/*; the admin API is the other features'. */
  routes(app: FastifyInstance): Promise<void>;
}

/** The operators' console: static files only; it signs in and reads through /admin/api like any client. */
export function createConsoleUi({ config }: ConsoleUiDeps): ConsoleUiFeature {
  const directory = config.consoleDir === 'off' ? undefined : config.consoleDir;
  return {
    routes: (app) => consoleRoutes(app, { directory }),
  };
}
