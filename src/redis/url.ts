/**
 * Where Redis is, from GUESTPASS_REDIS_URL. ioredis takes a plain `redis://` URL itself but has
 * no URL form for Sentinel or Cluster, only option objects; these two forms (the ones
 * Celery/Kombu and others use) keep the whole configuration in one variable:
 *
 *   redis://[[user]:password@]host[:6379][/db]                 one server (or a proxy in front of several)
 *   redis+sentinel://[[user]:password@]h1:26379,h2:26379/MASTER[/db][?sentinel_password=…]
 *   redis+cluster://[[user]:password@]h1:6379,h2:6379          seed nodes; the rest are discovered
 *
 * and `rediss…` for TLS on each. The password belongs to the Redis servers themselves; a
 * Sentinel that asks for its own gets `sentinel_password`.
 */
export interface RedisHost {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | ({ kind: 'server'; url: string } & Credentials)
  | ({ kind: 'sentinel'; sentinels: RedisHost[]; name: string; db: number; sentinelPassword?: string } & Credentials)
  | ({ kind: 'cluster'; nodes: RedisHost[] } & Credentials);

const SCHEMES: Record<string, { kind: RedisTarget['kind']; tls: boolean; defaultPort: number }> = {
  redis: { kind: 'server', tls: false, defaultPort: 6379 },
  rediss: { kind: 'server', tls: true, defaultPort: 6379 },
  'redis+sentinel': { kind: 'sentinel', tls: false, defaultPort: 26379 },
  'rediss+sentinel': { kind: 'sentinel', tls: true, defaultPort: 26379 },
  'redis+cluster': { kind: 'cluster', tls: false, defaultPort: 6379 },
  'rediss+cluster': { kind: 'cluster', tls: true, defaultPort: 6379 },
};

/** Throws a sentence naming what is wrong (never echoing the URL: it may hold a password). */
export function parseRedisUrl(raw: string): RedisTarget {
  const match = /^([a-z+]+):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(raw.trim());
  const scheme = match?.[1] ? SCHEMES[match[1]] : undefined;
  if (!match || !scheme) throw new Error('must be a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL');
  const [, , userinfo, hostList = '', path = '', query = ''] = match;
  const credentials = parseCredentials(userinfo, scheme.tls);
  if (scheme.kind === 'server') {
    new URL(raw); // one host: the WHATWG parser checks the rest, as before
    return { kind: 'server', url: raw.trim(), ...credentials };
  }
  const hosts = hostList.split(',').map((entry) => parseHost(entry, scheme.defaultPort));
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinel_password') throw new Error(`has an unknown parameter "${key}" (only sentinel_password is understood)`);
  }
  if (scheme.kind === 'cluster') {
    if (path !== '' && path !== '/') throw new Error('must not name a database: Redis Cluster has only database 0');
    if (params.has('sentinel_password')) throw new Error('has sentinel_password, which only a redis+sentinel:// URL uses');
    return { kind: 'cluster', nodes: hosts, ...credentials };
  }
  const [, name, db = '0', ...extra] = path.split('/');
  if (!name || extra.length > 0 || !/^\d{1,2}$/.test(db))
    throw new Error('must end with the master group name and an optional database: /mymaster or /mymaster/0');
  const sentinelPassword = params.get('sentinel_password');
  return {
    kind: 'sentinel',
    sentinels: hosts,
    name: decodeURIComponent(name),
    db: Number(db),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    ...credentials,
  };
}

function parseCredentials(userinfo: string | undefined, tls: boolean): Credentials {
  if (!userinfo) return { tls };
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  // `redis://:secret@host` is the password alone (no ACL user), as for ioredis's own parser.
  return { tls, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHost(entry: string, defaultPort: number): RedisHost {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  const port = Number(match?.[2] ?? defaultPort);
  if (!match?.[1] || port < 1 || port > 65535) throw new Error('has a host that is not host or host:port');
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
