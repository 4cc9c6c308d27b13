import type { FastifyInstance } from 'fastify';

/** One route of the running server. */
export interface Route {
  method: string;
  /** Fastify's pattern, parameters as `:id`. */
  url: string;
  /** Query parameters the OpenAPI document declares. */
  queryParams: string[];
}

/** One tree line of `printRoutes`: its indentation, a path segment, and its methods. */
const TREE_LINE = /^((?:│ {3}| {4})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/;

/**
 * Every route in Fastify's own table, read from `printRoutes` (a radix tree: each line is a
 * suffix of its parent's path). HEAD twins of GET routes and the CORS `OPTIONS *` catch-all
 * are left out: the catalogue sends HEAD and OPTIONS to every path anyway.
 */
export function routeTable(app: FastifyInstance): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = TREE_LINE.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    prefixes.length = depth;
    const url = `${prefixes.join('')}${match[2]}`;
    prefixes.push(match[2] ?? '');
    if (url.includes('*')) continue;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) if (method !== 'HEAD') routes.push({ method, url });
  }
  return routes;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
}

/**
 * The route table joined with the OpenAPI document (for query parameters). Throws when the
 * table is empty or misses an operation the document lists: then the table was misread and
 * the suite would silently cover less.
 */
export function discoverRoutes(app: FastifyInstance, openApi: OpenApiDocument): Route[] {
  const table = routeTable(app);
  if (table.length === 0) throw new Error('the server route table is empty');
  const queryParams = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(openApi.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      if (!table.some((route) => `${route.method} ${route.url}` === key))
        throw new Error(`OpenAPI lists ${key}, which the route table read from printRoutes lacks`);
      queryParams.set(
        key,
        (operation.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
      );
    }
  }
  return table.map((route) => ({ ...route, queryParams: queryParams.get(`${route.method} ${route.url}`) ?? [] }));
}
