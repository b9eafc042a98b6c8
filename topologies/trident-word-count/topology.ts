/**
 * Word count with exactly-once counts (Storm's Trident word count): sentences come in batches,
 * each batch's words are counted per partition, and the partial counts are added to a map state
 * once per batch, so a replayed batch never counts twice. A second stream asks for the counts of
 * a few words in every batch, reading them back from the state with `stateQuery`.
 *
 *   squall local topologies/trident-word-count/topology.ts --duration 5
 *   SQUALL_REDIS=redis://127.0.0.1:6379 squall local topologies/trident-word-count/topology.ts --duration 5
 */
import {
  FixedBatchSpout,
  MapGet,
  MemoryMapState,
  RedisMapState,
  TridentCount,
  TridentTopology,
  type Config,
  type StateFactory,
  type TridentCollector,
  type TridentTuple,
} from 'squall';

const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
  'snow white and the seven dwarfs',
  'i am at two with nature',
];

/** Splits a sentence into words: one emit per word, appended to the tuple as field `word`. */
export function split(tuple: TridentTuple, collector: TridentCollector): void {
  for (const word of tuple.getString(0).split(' ')) if (word.length > 0) collector.emit([word]);
}

/** Prints the answers to the query stream at most every two seconds. */
export function reporter(every = 2000): (tuple: TridentTuple) => void {
  let last = 0;
  const latest = new Map<string, unknown>();
  return (tuple) => {
    latest.set(tuple.getStringByField('word'), tuple.getValueByField('count'));
    const now = Date.now();
    if (now - last < every) return;
    last = now;
    console.log(`counts: ${[...latest].map(([w, c]) => `${w}=${String(c)}`).join(' ')}`);
  };
}

export interface TridentWordCountOptions {
  /** Redis URL for the counts; memory state when absent. */
  readonly redisUrl?: string | undefined;
  /** Sentences per batch. */
  readonly batchSize?: number;
  /** Tasks counting (the state's partitions). */
  readonly parallelism?: number;
  /** Whether to add the query stream. */
  readonly query?: boolean;
  readonly config?: Config;
}

/** The topology, with its state in Redis when a URL is given. */
export function tridentWordCount(options: TridentWordCountOptions = {}) {
  const url = options.redisUrl;
  const state: StateFactory =
    url === undefined || url === '' ? MemoryMapState.opaque({ name: 'counts' }) : RedisMapState.opaque({ name: 'counts', url });
  const topology = new TridentTopology();
  const sentences = new FixedBatchSpout(['sentence'], options.batchSize ?? 200, ...SENTENCES.map((s) => [s])).setCycle(true);
  const counts = topology
    .newStream('sentences', sentences)
    .each(['sentence'], split, ['word'])
    .groupBy(['word'])
    .persistentAggregate(state, new TridentCount(), ['count'])
    .parallelismHint(options.parallelism ?? 2);
  if (options.query !== false) {
    const questions = new FixedBatchSpout(['words'], 1, ['the moon'], ['seven dwarfs'], ['apple']).setCycle(true);
    topology
      .newStream('questions', questions)
      .each(['words'], split, ['word'])
      .groupBy(['word'])
      .stateQuery(counts, ['word'], new MapGet(), ['count'])
      .peek(reporter());
  }
  return topology.build({ 'topology.max.spout.pending': 3, ...options.config });
}

/** Memory state by default; Redis when SQUALL_REDIS gives a URL. */
export default function main() {
  return tridentWordCount({ redisUrl: process.env.SQUALL_REDIS });
}
