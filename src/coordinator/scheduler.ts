import { ackerCount, type TopologyConfig } from '../config/index.js';
import { computeTaskIds, splitIntoExecutors, systemTopology, type TopologySpec } from '../protocol/index.js';
import type { SupervisorHeartbeat, WorkerSlot } from '../protocol/cluster-records.js';

/**
 * Storm's even scheduler, as pure functions: executors (task groups) spread round-robin over
 * worker slots, and slots chosen round-robin over supervisors, so no supervisor is loaded while
 * another idles. Ackers and the checkpoint spout are executors like any other.
 */

export interface FreeSlot {
  readonly supervisor: string;
  readonly host: string;
  readonly port: number;
}

/** Every executor of the topology as it will run (system components included), each a task list. */
export function executorsOf(spec: TopologySpec, config: TopologyConfig): number[][] {
  const system = systemTopology(spec, ackerCount(config));
  const tasks = computeTaskIds(system);
  const out: number[][] = [];
  for (const id of [...tasks.keys()].sort()) {
    const c = system.components[id];
    if (c === undefined) continue;
    out.push(...splitIntoExecutors(tasks.get(id) ?? [], c.parallelism));
  }
  return out;
}

/** Slots of live supervisors that no assignment uses. */
export function freeSlots(
  supervisors: readonly SupervisorHeartbeat[],
  used: readonly { readonly workers: readonly WorkerSlot[] }[],
): FreeSlot[] {
  const taken = new Set<string>();
  for (const a of used) for (const w of a.workers) taken.add(`${w.supervisor}:${w.port}`);
  const out: FreeSlot[] = [];
  for (const s of supervisors) {
    for (const port of s.slots) if (!taken.has(`${s.id}:${port}`)) out.push({ supervisor: s.id, host: s.host, port });
  }
  return out;
}

/**
 * Picks `count` slots, taking one from each supervisor in turn (the one with the most free slots
 * first), so that workers of one topology land on different machines.
 */
export function pickSlots(free: readonly FreeSlot[], count: number): FreeSlot[] {
  const bySupervisor = new Map<string, FreeSlot[]>();
  for (const s of free) {
    const list = bySupervisor.get(s.supervisor) ?? [];
    list.push(s);
    bySupervisor.set(s.supervisor, list);
  }
  const queues = [...bySupervisor.values()]
    .map((l) => [...l].sort((a, b) => a.port - b.port))
    .sort((a, b) => b.length - a.length || (a[0]?.supervisor ?? '').localeCompare(b[0]?.supervisor ?? ''));
  const out: FreeSlot[] = [];
  while (out.length < count) {
    let took = false;
    for (const q of queues) {
      const s = q.shift();
      if (s === undefined) continue;
      out.push(s);
      took = true;
      if (out.length === count) break;
    }
    if (!took) break;
  }
  return out;
}

/** Executors dealt round-robin onto the slots: every slot gets some work when there is enough. */
export function spread(executors: readonly (readonly number[])[], slots: readonly FreeSlot[]): WorkerSlot[] {
  const tasks: number[][] = slots.map(() => []);
  executors.forEach((e, i) => tasks[i % slots.length]?.push(...e));
  return slots
    .map((s, i) => ({ supervisor: s.supervisor, host: s.host, port: s.port, tasks: (tasks[i] ?? []).sort((a, b) => a - b) }))
    .filter((w) => w.tasks.length > 0);
}

/**
 * Moves the work of slots whose supervisor is gone: each lost slot's tasks (whole executors) go
 * to a free slot, chosen across supervisors; without enough free slots the rest is dealt over the
 * surviving workers, so the topology runs on fewer workers rather than not at all. Returns
 * undefined when nothing can run it (no survivors, no free slot).
 */
export function reassignLost(workers: readonly WorkerSlot[], alive: ReadonlySet<string>, free: readonly FreeSlot[]): WorkerSlot[] | undefined {
  const kept = workers.filter((w) => alive.has(w.supervisor)).map((w) => ({ ...w, tasks: [...w.tasks] }));
  const lost = workers.filter((w) => !alive.has(w.supervisor));
  if (lost.length === 0) return [...workers];
  const fresh = pickSlots(free, lost.length);
  const out: WorkerSlot[] = [...kept];
  const orphaned: number[][] = [];
  lost.forEach((w, i) => {
    const slot = fresh[i];
    if (slot !== undefined) out.push({ supervisor: slot.supervisor, host: slot.host, port: slot.port, tasks: [...w.tasks] });
    else orphaned.push([...w.tasks]);
  });
  if (orphaned.length > 0) {
    if (out.length === 0) return undefined;
    orphaned.forEach((tasks, i) => {
      const target = out[i % out.length];
      if (target !== undefined) out[i % out.length] = { ...target, tasks: [...target.tasks, ...tasks].sort((a, b) => a - b) };
    });
  }
  return out;
}

/** How many workers of one topology each supervisor runs (every id of `supervisors` listed, 0 included). */
export function workersPerSupervisor(workers: readonly WorkerSlot[], supervisors: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(supervisors.map((s) => [s, 0]));
  for (const w of workers) counts.set(w.supervisor, (counts.get(w.supervisor) ?? 0) + 1);
  return counts;
}

/** One worker moved to even out a topology: the new placement, and what moved where. */
export interface Respread {
  readonly workers: WorkerSlot[];
  readonly from: WorkerSlot;
  readonly to: FreeSlot;
  /** Workers per supervisor before the move. */
  readonly counts: ReadonlyMap<string, number>;
}

/**
 * When a supervisor with a free slot runs at least two workers fewer of this topology than the
 * busiest one (say, it came back after its work moved away), moves one worker there: the busiest
 * supervisor's highest port to the least loaded one's lowest free port. Undefined when the
 * topology is even to one worker, or no free slot would make it more even.
 */
export function respread(workers: readonly WorkerSlot[], free: readonly FreeSlot[]): Respread | undefined {
  const counts = workersPerSupervisor(workers, [...new Set(free.map((f) => f.supervisor))]);
  let most: string | undefined;
  for (const [s, n] of counts) if (most === undefined || n > (counts.get(most) ?? 0) || (n === counts.get(most) && s < most)) most = s;
  let least: FreeSlot | undefined;
  for (const f of free) {
    const n = counts.get(f.supervisor) ?? 0;
    const best = least === undefined ? Infinity : (counts.get(least.supervisor) ?? 0);
    if (least === undefined || n < best || (n === best && (f.supervisor < least.supervisor || (f.supervisor === least.supervisor && f.port < least.port)))) least = f;
  }
  if (most === undefined || least === undefined || (counts.get(most) ?? 0) - (counts.get(least.supervisor) ?? 0) <= 1) return undefined;
  const from = workers.filter((w) => w.supervisor === most).reduce((a, b) => (b.port > a.port ? b : a));
  const to = least;
  const moved: WorkerSlot = { supervisor: to.supervisor, host: to.host, port: to.port, tasks: [...from.tasks] };
  return { workers: workers.map((w) => (w === from ? moved : w)), from, to, counts };
}
