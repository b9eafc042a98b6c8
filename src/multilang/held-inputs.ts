import type { Tuple } from '../tuple/index.js';

/** Most held inputs sharing one `execute` promise (see {@link HeldGroup}). */
const HELD_GROUP = 32;

/**
 * Inputs held while the subprocess is full share one `execute` promise per group, settled once
 * every input of the group went to the subprocess: no promise, closure and record per held input.
 * A group takes new inputs until its first one is released, and at most {@link HELD_GROUP}: the
 * executor counts each held input until its group settles, so big groups would starve it.
 */
interface HeldGroup {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  /** Inputs of the group still held. */
  left: number;
}

function heldGroup(): HeldGroup {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve, left: 0 };
}

/**
 * The inputs a multilang bolt's `execute` took while there was no room at the subprocess (or no
 * subprocess, while it restarts), in order, each waiting with its group's `execute` promise.
 * The executor bounds the promises it waits on (topology.bolt.max.async.pending), so what is held
 * stays bounded.
 */
export class HeldInputs {
  private inputs: Tuple[] = [];
  private groups: HeldGroup[] = [];
  private head = 0;
  private open: HeldGroup | undefined;

  /** Inputs held. */
  get size(): number {
    return this.inputs.length - this.head;
  }

  /** Holds `input`; the promise settles once it went to the subprocess (or the bolt closed). */
  hold(input: Tuple): Promise<void> {
    let group = this.open;
    if (group === undefined || group.left >= HELD_GROUP) group = this.open = heldGroup();
    group.left++;
    this.inputs.push(input);
    this.groups.push(group);
    return group.promise;
  }

  /** Hands held inputs to `send`, oldest first, while `room()` says there is room. */
  release(room: () => boolean, send: (input: Tuple) => void): void {
    const inputs = this.inputs;
    const groups = this.groups;
    if (this.head === inputs.length) return;
    while (this.head < inputs.length && room()) {
      const input = inputs[this.head] as Tuple;
      const group = groups[this.head] as HeldGroup;
      this.head++;
      // A group being released takes no new inputs: later ones wait in a group of their own.
      if (group === this.open) this.open = undefined;
      send(input);
      if (--group.left === 0) group.resolve();
    }
    if (this.head === inputs.length) {
      inputs.length = 0;
      groups.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.inputs = inputs.slice(this.head);
      this.groups = groups.slice(this.head);
      this.head = 0;
    }
  }

  /** Lets every held input go (shutdown): their trees time out and replay, as for anything in flight. */
  releaseAll(): void {
    for (let i = this.head; i < this.groups.length; i++) (this.groups[i] as HeldGroup).resolve();
    this.inputs = [];
    this.groups = [];
    this.head = 0;
    this.open = undefined;
  }
}
