/**
 * Where the SDK keeps its state: the session record and the DPoP key pair. Values must survive
 * structured cloning (a `CryptoKey` does, in IndexedDB), so a non-extractable key is stored
 * without ever being exported.
 */
export interface GuestpassStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The default: one object store in an IndexedDB database shared by the origin's tabs. */
export function indexedDbStorage(name = 'guestpass'): GuestpassStorage {
  let db: Promise<IDBDatabase> | undefined;
  const open = () =>
    (db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('kv');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest): Promise<T> => {
    const transaction = (await open()).transaction('kv', mode);
    const request = act(transaction.objectStore('kv'));
    // Resolved on commit, not on the request's success: a write is durable only then.
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    get: (key) => run('readonly', (store) => store.get(key)),
    set: (key, value) => run('readwrite', (store) => store.put(value, key)),
    delete: (key) => run('readwrite', (store) => store.delete(key)),
  };
}

/** State for this page only (gone on reload): for tests, or apps that want no persistence. */
export function memoryStorage(): GuestpassStorage {
  const map = new Map<string, unknown>();
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
  };
}
