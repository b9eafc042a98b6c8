/**
 * Word count whose counts survive a crash: the count bolt keeps them in checkpointed key-value
 * state instead of a Map. Every second the checkpoint spout prepares and commits the state of every
 * counter task; the count bolt's acks are held until the commit that covers them, so after a crash
 * the counts come back from the last commit and the spout replays every sentence since.
 *
 *   squall local topologies/stateful-word-count/topology.ts --duration 10
 *   SQUALL_REDIS=redis://127.0.0.1:6379 squall local topologies/stateful-word-count/topology.ts --duration 10
 */
import {
  BaseStatefulBolt,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';
import { Reporter, SentenceSpout, SplitSentence } from '../word-count/topology.js';

/** Counts words in its task's state (`this.state`, restored to the last commit at start). */
export class StatefulWordCount extends BaseStatefulBolt<string, number> {
  execute(input: Tuple): void {
    const word = input.getStringByField('word');
    const count = this.state.get(word, 0) + 1;
    this.state.put(word, count);
    this.collector.emit(input, [word, count]);
    // Update the state first, then ack: the ack is held until the commit that includes the update.
    this.collector.ack(input);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word', 'count']);
  }
}

/** Memory state by default (kept for the life of the process); Redis when SQUALL_REDIS gives a URL. */
export default function statefulWordCount() {
  const redis = process.env.SQUALL_REDIS;
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', SentenceSpout, 1);
  builder.setBolt('split', SplitSentence, 2).shuffleGrouping('sentences');
  builder.setBolt('count', StatefulWordCount, 2).fieldsGrouping('split', ['word']);
  builder.setBolt('report', Reporter, 1).globalGrouping('count');
  return builder.createTopology({
    // Acks are held for up to a checkpoint interval: allow a second's worth of sentences in flight.
    'topology.max.spout.pending': 50_000,
    'topology.state.checkpoint.interval.ms': 1000,
    ...(redis === undefined || redis === ''
      ? {}
      : { 'topology.state.provider': 'redis', 'topology.state.provider.config': { url: redis } }),
  });
}
