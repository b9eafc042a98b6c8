import { bytesFromKey, bytesKey } from './codec.js';
import type { StateChange, StateStore, StoredState } from './store.js';

interface MemoryNamespace {
  readonly committed: Map<string, Uint8Array>;
  committedTxid: number | null;
  prepared: Map<string, Uint8Array> | null;
  preparedTxid: number | null;
}

/**
 * Process-wide, like Storm's in-memory provider: it outlives a topology, so one killed and
 * resubmitted in the same process finds its last commit. Fields are keyed by their bytes.
 */
const namespaces = new Map<string, MemoryNamespace>();

const done: Promise<void> = Promise.resolve();

function toChanges(m: ReadonlyMap<string, Uint8Array>): StateChange[] {
  const out: StateChange[] = [];
  for (const [f, v] of m) out.push([bytesFromKey(f), v]);
  return out;
}

function apply(target: Map<string, Uint8Array>, changes: Iterable<readonly [string, Uint8Array]>): void {
  for (const [f, v] of changes) {
    if (v.byteLength === 0) target.delete(f);
    else target.set(f, v);
  }
}

/**
 * State kept in this process's memory, encoded exactly as in Redis. Writes apply at once (the
 * promises are already settled), so a kill cannot leave one half-done.
 */
export class MemoryStateStore implements StateStore {
  constructor(readonly namespace: string) {}

  private get ns(): MemoryNamespace {
    let ns = namespaces.get(this.namespace);
    if (ns === undefined) {
      ns = { committed: new Map(), committedTxid: null, prepared: null, preparedTxid: null };
      namespaces.set(this.namespace, ns);
    }
    return ns;
  }

  load(): Promise<StoredState> {
    const ns = this.ns;
    const prepared = ns.prepared !== null && ns.preparedTxid !== null ? { txid: ns.preparedTxid, changes: toChanges(ns.prepared) } : null;
    return Promise.resolve({ committed: toChanges(ns.committed), committedTxid: ns.committedTxid, prepared });
  }

  prepare(txid: number, changes: readonly StateChange[]): Promise<void> {
    const ns = this.ns;
    ns.prepared = new Map(changes.map(([f, v]) => [bytesKey(f), v]));
    ns.preparedTxid = txid;
    return done;
  }

  commit(txid: number): Promise<void> {
    const ns = this.ns;
    if (ns.prepared !== null && ns.preparedTxid === txid) apply(ns.committed, ns.prepared);
    ns.prepared = null;
    ns.preparedTxid = null;
    ns.committedTxid = txid;
    return done;
  }

  rollback(): Promise<void> {
    const ns = this.ns;
    ns.prepared = null;
    ns.preparedTxid = null;
    return done;
  }

  save(changes: readonly StateChange[]): Promise<void> {
    apply(this.ns.committed, changes.map(([f, v]) => [bytesKey(f), v] as const));
    return done;
  }

  close(): Promise<void> {
    return done;
  }

  /** Forgets every namespace starting with `prefix` (all of them without one): for tests and tools. */
  static clear(prefix = ''): void {
    for (const ns of [...namespaces.keys()]) if (ns.startsWith(prefix)) namespaces.delete(ns);
  }

  /** The namespaces this process holds, sorted. */
  static namespaces(): string[] {
    return [...namespaces.keys()].sort();
  }
}
