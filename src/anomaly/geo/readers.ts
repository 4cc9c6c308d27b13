import maxmind, { type Reader, type Response } from 'maxmind';

/**
 * MaxMind DB readers, opened once per process and path. A reader holds the whole file in
 * memory (the bundled DB-IP files are ~130 MB together), so several servers in one process,
 * as in the tests, share it instead of each reading its own copy.
 */
const opened = new Map<string, Promise<Reader<Response>>>();

export function openReader(path: string): Promise<Reader<Response>> {
  let reader = opened.get(path);
  if (!reader) {
    reader = maxmind.open<Response>(path);
    // A failed open is not cached: a later call (after the file is fixed) tries again.
    reader.catch(() => opened.delete(path));
    opened.set(path, reader);
  }
  return reader;
}

/** The address a reader looks up: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) as plain IPv4. */
export function plainAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * Opens readers in the background and hands them out once ready: `resolve` must stay
 * synchronous (it runs inside the request path), and a 60 MB read must not delay start-up.
 * Until the files are open, lookups answer "unknown", which detectors treat as no evidence.
 */
export class LazyReaders<Names extends string> {
  private readers: Partial<Record<Names, Reader<Response>>> = {};
  private loading?: Promise<void>;
  /** How long opening took, for the start-up log; undefined until open. */
  openedInMs?: number;

  constructor(private readonly paths: Record<Names, string>) {}

  /** Starts opening (once) and resolves when every file is open; rejects if one cannot be read. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      const started = performance.now();
      const entries = await Promise.all(Object.entries<string>(this.paths).map(async ([name, path]) => [name, await openReader(path)] as const));
      this.readers = Object.fromEntries(entries) as Partial<Record<Names, Reader<Response>>>;
      this.openedInMs = performance.now() - started;
    })();
    return this.loading;
  }

  get loaded(): boolean {
    return this.openedInMs !== undefined;
  }

  /** The record for `ip` in the named database, as the file stores it; undefined if unknown or not yet open. */
  lookup(name: Names, ip: string): unknown {
    const reader = this.readers[name];
    if (!reader) return undefined;
    try {
      return reader.get(plainAddress(ip)) ?? undefined;
    } catch {
      // maxmind throws on text that is not an address, or IPv6 in an IPv4-only file.
      return undefined;
    }
  }
}
