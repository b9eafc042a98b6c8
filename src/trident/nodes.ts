import type { Value } from '../tuple/index.js';
import type {
  Aggregator,
  ConsumerLike,
  FilterLike,
  FlatMapLike,
  FunctionLike,
  MapLike,
  QueryFunction,
  StateUpdater,
} from './operations.js';
import type { TridentSpout } from './spout.js';
import type { State, StateFactory } from './state.js';

/** A state declared in the topology: its factory and the name its keys are namespaced by. */
export interface StateSpec {
  readonly factory: StateFactory;
  readonly name: string;
}

export type RepartitionType = 'shuffle' | 'fields' | 'all' | 'global';

/** What a node of the Trident graph does. */
export type NodeSpec =
  | { readonly kind: 'spout'; readonly spoutId: string; readonly spout: TridentSpout }
  | { readonly kind: 'each'; readonly input: readonly string[]; readonly op: FunctionLike }
  | { readonly kind: 'filter'; readonly input: readonly string[]; readonly op: FilterLike }
  | { readonly kind: 'map'; readonly op: MapLike }
  | { readonly kind: 'flatMap'; readonly op: FlatMapLike }
  | { readonly kind: 'peek'; readonly op: ConsumerLike }
  | { readonly kind: 'project' }
  | {
      readonly kind: 'aggregate';
      readonly input: readonly string[];
      readonly groupFields: readonly string[] | null;
      /** Makes the aggregator for one task (combiner and reducer aggregators adapted). */
      readonly aggregator: () => Aggregator<unknown>;
    }
  | { readonly kind: 'repartition'; readonly type: RepartitionType; readonly fields: readonly string[] }
  | { readonly kind: 'merge' }
  | { readonly kind: 'stateQuery'; readonly input: readonly string[]; readonly state: StateSpec; readonly op: QueryFunction<State, unknown> }
  | { readonly kind: 'persist'; readonly input: readonly string[]; readonly state: StateSpec; readonly updater: StateUpdater<State> };

/** A node of the Trident graph: `fields` is the schema of the tuples it emits. */
export interface Node {
  readonly id: number;
  readonly spec: NodeSpec;
  readonly parents: readonly Node[];
  readonly fields: readonly string[];
  readonly section: Section;
  readonly children: Node[];
}

/**
 * Nodes that run together in one bolt: everything partition-local after a spout, a repartition
 * or a merge (Storm's planner fuses them the same way).
 */
export interface Section {
  readonly index: number;
  readonly head: Node | null;
  readonly nodes: Node[];
  parallelism: number;
  name: string | undefined;
}

/** Values emitted on a data stream between sections start with the batch's txid and attempt. */
export const TX_FIELDS: readonly string[] = ['$tx', '$attempt'];

export function batchValues(txid: number, attempt: number, values: readonly Value[]): Value[] {
  const out = new Array<Value>(values.length + 2);
  out[0] = txid;
  out[1] = attempt;
  for (let i = 0; i < values.length; i++) out[i + 2] = values[i] as Value;
  return out;
}

export const MASTER_COORDINATOR = '$mastercoord-bg0';
export const BATCH_STREAM = '$batch';
export const COMMIT_STREAM = '$commit';
export const SUCCESS_STREAM = '$success';
export const COORD_STREAM = '$coord-bg0';

export function spoutCoordinatorId(spoutId: string): string {
  return `$spoutcoord-${spoutId}`;
}

/** The data stream into a section head from its `i`-th parent. */
export function edgeStream(head: Node, parentIndex: number): string {
  return head.spec.kind === 'merge' ? `$s${head.id}-${parentIndex}` : `$s${head.id}`;
}
