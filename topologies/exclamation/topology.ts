/**
 * Storm's classic: words pass through three exclamation bolts in a chain,
 * "nathan" -> "nathan!!!" -> "nathan!!!!!!" -> "nathan!!!!!!!!!".
 *
 *   squall local topologies/exclamation/topology.ts --duration 5
 */
import {
  BaseRichBolt,
  BaseRichSpout,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';

const WORDS = ['nathan', 'mike', 'jackson', 'golda', 'bertels'];

export class TestWordSpout extends BaseRichSpout {
  private i = 0;

  nextTuple(): void {
    this.collector.emit([WORDS[this.i++ % WORDS.length] ?? ''], this.i);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

/** Appends "!!!" and acks the input: an anchored emit keeps the tuple tree whole. */
export class ExclamationBolt extends BaseRichBolt {
  execute(input: Tuple): void {
    this.collector.emit(input, [`${input.getString(0)}!!!`]);
    this.collector.ack(input);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

export default function exclamation() {
  const builder = new TopologyBuilder();
  builder.setSpout('word', TestWordSpout, 2);
  builder.setBolt('exclaim1', ExclamationBolt, 3).shuffleGrouping('word');
  builder.setBolt('exclaim2', ExclamationBolt, 2).shuffleGrouping('exclaim1');
  builder.setBolt('exclaim3', ExclamationBolt, 2).shuffleGrouping('exclaim2');
  return builder.createTopology({ 'topology.max.spout.pending': 1000 });
}
