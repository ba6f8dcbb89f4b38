/** A tensor as stored in IndexedDB: its values and shape (structured-clone friendly). */
export interface StoredTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** A training checkpoint: everything needed to continue at `step` exactly where the run was. */
export interface Checkpoint<Settings = unknown> {
  settings: Settings;
  step: number;
  generator: StoredTensor[];
  discriminator: StoredTensor[];
  gOptimizer: StoredTensor[];
  dOptimizer: StoredTensor[];
  rng: unknown;
  position: unknown;
  history: unknown;
  savedAt: string;
}

const DB = 'gankit-studio';
const STORE = 'checkpoints';
const KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'));
  });
}

async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      // Resolve on commit, not on the request: a checkpoint counts as saved only once it is durable.
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Replaces the saved checkpoint (one put in one transaction: the old one stays until the new one is complete). */
export function saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
  return transact('readwrite', (store) => store.put(checkpoint, KEY));
}

/** The saved checkpoint, if any. */
export async function loadCheckpoint<S>(): Promise<Checkpoint<S> | undefined> {
  return (await transact<Checkpoint<S> | undefined>('readonly', (store) => store.get(KEY))) ?? undefined;
}

/** Deletes the saved checkpoint. */
export function clearCheckpoint(): Promise<void> {
  return transact('readwrite', (store) => store.delete(KEY));
}
