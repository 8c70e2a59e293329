// The shopper's on-device history: IndexedDB, one database per shop (the manifest's `shop`, so
// that it survives bundle updates), capped, never sent anywhere. Entries for items the loaded
// catalog lacks are dropped when it opens, with one console.warn. When storage is unavailable or
// damaged it falls back to an in-memory history for this page (one console.warn); nothing here
// throws to the caller.

const STORE = 'events';
const OPEN_TIMEOUT_MS = 5_000;
const MAX_EVENT_LENGTH = 64;

/** The IndexedDB database name for a shop (its name, or a bundle URL for a bundle that names no
 * shop), so that two shops on one origin keep separate histories. */
export function historyDatabaseName(shop) {
  return `tailor-history:${shop}`;
}

/** @typedef {{itemId: string, event: string, time: number}} HistoryEntry */

function isEntry(value) {
  return value !== null && typeof value === 'object'
    && typeof value.itemId === 'string' && value.itemId.length > 0
    && typeof value.event === 'string' && value.event.length > 0
    && typeof value.time === 'number' && Number.isFinite(value.time);
}

/** Most recent first: by time, then by insertion order. */
function newestFirst(a, b) {
  return b.time - a.time || b.seq - a.seq;
}

const plain = ({ itemId, event, time }) => ({ itemId, event, time });

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Settles when the transaction commits or fails; marked handled, so that a failure that
 * another await reports first is not also an unhandled rejection. */
function completion(transaction) {
  const done = new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
  done.catch(() => {});
  return done;
}

class CorruptStore extends Error {}

/** Every record with its key, checked; throws CorruptStore on any record of the wrong shape. */
async function readAll(store) {
  const [values, keys] = await Promise.all([promised(store.getAll()), promised(store.getAllKeys())]);
  if (!Array.isArray(values) || !Array.isArray(keys) || values.length !== keys.length) {
    throw new CorruptStore('the history store returned inconsistent records');
  }
  return values.map((value, i) => {
    if (!isEntry(value) || typeof keys[i] !== 'number') {
      throw new CorruptStore(`history record ${JSON.stringify(keys[i])} has the wrong shape`);
    }
    return { ...plain(value), seq: keys[i] };
  });
}

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('opening IndexedDB timed out')), OPEN_TIMEOUT_MS);
    const fail = (error) => { clearTimeout(timer); reject(error); };
    let request;
    try {
      const factory = globalThis.indexedDB;
      if (!factory || typeof factory.open !== 'function') throw new Error('IndexedDB is not available');
      request = factory.open(name, 1);
    } catch (error) {
      fail(error);
      return;
    }
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { autoIncrement: true });
    };
    request.onblocked = () => fail(new Error('opening IndexedDB is blocked by another tab'));
    request.onerror = () => fail(request.error ?? new Error('IndexedDB open failed'));
    request.onsuccess = () => {
      clearTimeout(timer);
      const db = request.result;
      // Let another tab upgrade or delete the database; this page then keeps its history in memory.
      db.onversionchange = () => db.close();
      resolve(db);
    };
  });
}

export class History {
  #name;
  #knownIds;
  #limit;
  #db = null;
  /** The last known history (entries with `seq`), oldest first; the whole history once in memory. */
  #memory = [];
  #nextSeq = 1;
  #fallback = false;
  #queue;

  /**
   * @param {string} shop the shop's name, or the absolute bundle URL (names the database)
   * @param {{knownIds: Set<string>, limit: number}} options
   */
  constructor(shop, { knownIds, limit }) {
    this.#name = historyDatabaseName(shop);
    this.#knownIds = knownIds;
    this.#limit = limit;
    this.#queue = this.#open();
  }

  /** The IndexedDB database name this history uses. */
  get databaseName() {
    return this.#name;
  }

  /** False once the history lives in memory only (storage unavailable or damaged). */
  get persistent() {
    return !this.#fallback;
  }

  get limit() {
    return this.#limit;
  }

  async #open() {
    try {
      this.#db = await openDatabase(this.#name);
      const transaction = this.#db.transaction(STORE, 'readwrite');
      const done = completion(transaction);
      const store = transaction.objectStore(STORE);
      const all = await readAll(store);
      // An update may have dropped items from the catalog: their entries would only be skipped
      // by every request, and would keep current ones out of the capped history.
      const gone = all.filter((entry) => !this.#knownIds.has(entry.itemId));
      for (const entry of gone) store.delete(entry.seq);
      await done;
      if (gone.length > 0) {
        const ids = [...new Set(gone.map((entry) => entry.itemId))];
        const shown = ids.slice(0, 5).map((id) => JSON.stringify(id)).join(', ');
        console.warn(`Tailor: dropped ${gone.length} history entr${gone.length === 1 ? 'y' : 'ies'} for ` +
          `${ids.length} item${ids.length === 1 ? '' : 's'} no longer in the catalog (${shown}${ids.length > 5 ? ', ...' : ''}).`);
      }
      this.#remember(all.filter((entry) => this.#knownIds.has(entry.itemId)));
    } catch (error) {
      this.#fallBack(error);
    }
  }

  #remember(entries) {
    this.#memory = entries.sort((a, b) => a.time - b.time || a.seq - b.seq);
    this.#nextSeq = Math.max(this.#nextSeq, ...entries.map((e) => e.seq + 1));
  }

  #fallBack(error) {
    if (this.#fallback) return;
    this.#fallback = true;
    try {
      this.#db?.close();
    } catch {
      // already unusable
    }
    this.#db = null;
    const reason = error?.message ? `: ${String(error.message).split('\n')[0]}` : '';
    console.warn(`Tailor: on-device history storage is unavailable${reason}. ` +
      'History is kept in memory for this page only.');
    this.#trimMemory();
  }

  #trimMemory() {
    const excess = this.#memory.length - this.#limit;
    if (excess > 0) this.#memory.splice(0, excess);
  }

  /** Runs `operation` after every earlier one, so calls take effect in the order they were made. */
  #enqueue(operation) {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  /**
   * Records one event. Resolves to true when recorded, false when skipped (unknown item id or a
   * malformed entry; a console.warn says why).
   * @param {{itemId: string, event?: string, time?: number | Date}} entry
   */
  record({ itemId, event = 'view', time = Date.now() } = {}) {
    const id = typeof itemId === 'number' && Number.isInteger(itemId) ? String(itemId) : itemId;
    const when = time instanceof Date ? time.getTime() : time;
    if (typeof id !== 'string' || !this.#knownIds.has(id)) {
      console.warn(`Tailor: history.record skipped item id ${JSON.stringify(itemId)}: not in this bundle's catalog.`);
      return Promise.resolve(false);
    }
    if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_LENGTH) {
      console.warn(`Tailor: history.record skipped item ${id}: event must be a short non-empty string.`);
      return Promise.resolve(false);
    }
    if (typeof when !== 'number' || !Number.isFinite(when)) {
      console.warn(`Tailor: history.record skipped item ${id}: time must be a finite number of milliseconds.`);
      return Promise.resolve(false);
    }
    const entry = { itemId: id, event, time: when };
    return this.#enqueue(async () => {
      if (this.#db) {
        try {
          const transaction = this.#db.transaction(STORE, 'readwrite');
          const done = completion(transaction);
          const store = transaction.objectStore(STORE);
          await promised(store.add(entry));
          const all = await readAll(store).catch((error) => {
            try {
              transaction.abort();
            } catch {
              // already finished
            }
            throw error;
          });
          all.sort((a, b) => a.time - b.time || a.seq - b.seq);
          const excess = all.length - this.#limit;
          for (const old of all.slice(0, Math.max(0, excess))) store.delete(old.seq);
          await done;
          this.#remember(all.slice(Math.max(0, excess)));
          return true;
        } catch (error) {
          this.#fallBack(error);
        }
      }
      this.#memory.push({ ...entry, seq: this.#nextSeq++ });
      this.#memory.sort((a, b) => a.time - b.time || a.seq - b.seq);
      this.#trimMemory();
      return true;
    });
  }

  /** The history, most recent first. @returns {Promise<HistoryEntry[]>} */
  list() {
    return this.#enqueue(async () => {
      if (this.#db) {
        try {
          const transaction = this.#db.transaction(STORE, 'readonly');
          const all = await readAll(transaction.objectStore(STORE));
          // Another tab's bundle of this shop may know items this one does not.
          this.#remember(all.filter((entry) => this.#knownIds.has(entry.itemId)));
        } catch (error) {
          this.#fallBack(error);
        }
      }
      return [...this.#memory].sort(newestFirst).map(plain);
    });
  }

  /** Item ids, most recent first: what recommend() takes as `history`. */
  async itemIds() {
    return (await this.list()).map((entry) => entry.itemId);
  }

  /** Forgets everything (in IndexedDB and in memory). */
  clear() {
    return this.#enqueue(async () => {
      if (this.#db) {
        try {
          const transaction = this.#db.transaction(STORE, 'readwrite');
          const done = completion(transaction);
          transaction.objectStore(STORE).clear();
          await done;
        } catch (error) {
          this.#fallBack(error);
        }
      }
      this.#memory = [];
    });
  }

  /** Closes the database connection (what is stored stays stored); later calls work on the
   * in-memory copy only. */
  close() {
    return this.#enqueue(() => {
      const db = this.#db;
      this.#db = null;
      try {
        db?.close();
      } catch {
        // nothing to do
      }
    });
  }
}
