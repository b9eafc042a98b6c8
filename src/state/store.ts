/**
 * One change of a checkpoint: a key's field bytes and its new value bytes. Empty value bytes
 * ({@link TOMBSTONE}) delete the key; no encoded value is empty.
 */
export type StateChange = readonly [field: Uint8Array, value: Uint8Array];

export const TOMBSTONE: Uint8Array = new Uint8Array(0);

export interface PreparedChanges {
  readonly txid: number;
  readonly changes: readonly StateChange[];
}

/** What a store holds for one namespace. */
export interface StoredState {
  /** The committed entries, as `[field, value]`. */
  readonly committed: readonly StateChange[];
  /** The last committed transaction, or null before the first commit. */
  readonly committedTxid: number | null;
  /** Changes prepared and neither committed nor rolled back: the worker stopped in between. */
  readonly prepared: PreparedChanges | null;
}

/**
 * Where one namespace of checkpointed state lives (Storm's layout in Redis: committed data in hash
 * `<ns>`, prepared changes in `<ns>$prepare`, txids `prepare` and `commit` in `<ns>$txid`).
 * Every write is atomic. One task writes a namespace; a store is used by one task at a time.
 */
export interface StateStore {
  readonly namespace: string;
  load(): Promise<StoredState>;
  /** Replaces the prepared changes with `changes` for `txid`. */
  prepare(txid: number, changes: readonly StateChange[]): Promise<void>;
  /**
   * Applies the changes prepared for `txid` (if those are the prepared ones) to the committed data,
   * drops the prepared changes and records `txid` as the last commit. The checkpoint spout owns
   * the numbering: `txid` is recorded even if lower than the last one.
   */
  commit(txid: number): Promise<void>;
  /** Drops the prepared changes. */
  rollback(): Promise<void>;
  /** Applies `changes` to the committed data directly (small bookkeeping state, like the checkpoint spout's). */
  save(changes: readonly StateChange[]): Promise<void>;
  close(): Promise<void>;
}
