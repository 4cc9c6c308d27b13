import type { Baseline } from './baselines.js';
import { charsets, contentEncodings, contentTypes, deepNesting, duplicateKeys, invalidUtf8, prototypeKeys, sizes, unicode } from './body-cases.js';
import { type Generator, type Kit, variant } from './build.js';
import { authorization, cookies, dpopHeaders, duplicateHeaders } from './header-cases.js';
import type { HostileRequest } from './send.js';
import { methods, paths, queryStrings, rawHttp } from './url-cases.js';

/** The catalogue of hostile cases, by family; every family runs against every route. */
export const CATALOGUE: Record<string, Generator> = {
  contentTypes,
  charsets,
  invalidUtf8,
  contentEncodings,
  deepNesting,
  sizes,
  duplicateKeys,
  duplicateHeaders,
  prototypeKeys,
  unicode,
  methods,
  authorization,
  dpopHeaders,
  cookies,
  queryStrings,
  paths,
  rawHttp,
};

/** How many cases a family keeps where most of it cannot matter (see `sample`). */
const SAMPLE = 4;

/** `count` cases spread evenly over the list. */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * items.length) / count)]!);
}

/**
 * Keeps the run short where whole families cannot reach anything: Fastify reads no body on
 * GET (and HEAD), so there a body-only case is sampled, not sent by the dozen; a route that
 * takes no credentials gets a sample of the credential families. Everything else is sent.
 */
function sample(base: Baseline, family: string, requests: HostileRequest[]): HostileRequest[] {
  if (base.credential === 'none' && (family === 'authorization' || family === 'dpopHeaders')) return spread(requests, SAMPLE);
  if (base.route.method !== 'GET') return requests;
  const target = variant(base, '').target;
  const bodyOnly = (request: HostileRequest) => request.body !== undefined && request.target === target && request.method === 'GET';
  return [...spread(requests.filter(bodyOnly), SAMPLE), ...requests.filter((request) => !bodyOnly(request))];
}

/** Every hostile request for one route, each labelled `<family>: <case>`. */
export async function hostileRequestsFor(base: Baseline, kit: Kit, families: readonly string[] = Object.keys(CATALOGUE)): Promise<HostileRequest[]> {
  const requests: HostileRequest[] = [];
  for (const family of families) {
    const generate = CATALOGUE[family];
    if (!generate) throw new Error(`no hostile family ${family}`);
    for (const request of sample(base, family, await generate(base, kit))) requests.push({ ...request, label: `${family}: ${request.label}` });
  }
  return requests;
}
