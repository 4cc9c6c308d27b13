/**
 * Runs `task` while no other tab of this origin runs one under the same name: the Web Locks API
 * where the browser has it, otherwise a lease in IndexedDB. Refreshing rotates the session
 * token, so two tabs refreshing at once would present one generation twice, which the server
 * treats as theft (RFC 9700 §4.14.2).
 */
export function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  // request() resolves to what the callback returns; its typing wraps a promise once more.
  return locks ? (locks.request(name, task) as unknown as Promise<T>) : leaseLock(name, task);
}

/** A holder that vanished (a tab closed mid-refresh) is passed over after this long. */
const LEASE_MS = 30_000;
const POLL_MS = 50;
const tabId = Math.random().toString(36).slice(2);
const queues = new Map<string, Promise<unknown>>();
let database: Promise<IDBDatabase> | undefined;

/**
 * The fallback (browsers before Web Locks): the lease record is taken in a readwrite
 * IndexedDB transaction, which IndexedDB runs one at a time across every tab of the origin,
 * so taking it is an atomic compare-and-set. A timed claim over BroadcastChannel alone would
 * let two tabs in when messages are slow; the channel only wakes waiting tabs when the
 * lease is given back, and polling covers a message that never comes.
 */
function leaseLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const run = (queues.get(name) ?? Promise.resolve()).then(async () => {
    const channel = new BroadcastChannel(`guestpass-lock ${name}`);
    try {
      while (!(await lease(name, true)))
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          channel.onmessage = () => resolve(clearTimeout(timer));
        });
      try {
        return await task();
      } finally {
        await lease(name, false);
        channel.postMessage('free');
      }
    } finally {
      channel.close();
    }
  });
  // Tasks of this tab wait for each other here: the lease knows tabs, not tasks.
  queues.set(
    name,
    run.catch(() => {}),
  );
  return run;
}

/** Takes the lease when it is free, expired or ours (`take`), or gives ours back; true when taken. */
async function lease(name: string, take: boolean): Promise<boolean> {
  database ??= new Promise((resolve, reject) => {
    const request = indexedDB.open('guestpass-locks', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('leases');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const transaction = (await database).transaction('leases', 'readwrite');
  const store = transaction.objectStore('leases');
  let taken = false;
  store.get(name).onsuccess = ({ target }) => {
    const holder = (target as IDBRequest<{ tab: string; until: number } | undefined>).result;
    const ours = holder?.tab === tabId;
    if (!take) {
      if (ours) store.delete(name);
    } else if (!holder || ours || holder.until < Date.now()) {
      store.put({ tab: tabId, until: Date.now() + LEASE_MS }, name);
      taken = true;
    }
  };
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(taken);
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}
