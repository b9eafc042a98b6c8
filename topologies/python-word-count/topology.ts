/**
 * Word count with Python components: a Python spout and a Python split bolt (multilang/python),
 * a TypeScript count bolt and a reporter. Each Python task is its own subprocess, started in the
 * folder of this file; Squall's protocol extension batches the tuples both ways.
 *
 *   squall local topologies/python-word-count/topology.ts --duration 5
 */
import {
  BaseBasicBolt,
  ShellBolt,
  ShellSpout,
  TopologyBuilder,
  type BasicOutputCollector,
  type Config,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';

export class WordCount extends BaseBasicBolt {
  private readonly counts = new Map<string, number>();

  execute(input: Tuple, collector: BasicOutputCollector): void {
    const word = input.getStringByField('word');
    const count = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, count);
    collector.emit([word, count]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word', 'count']);
  }
}

/** Keeps the latest count of every word and prints the top words every few seconds. */
export class Reporter extends BaseBasicBolt {
  private readonly latest = new Map<string, number>();

  override getComponentConfiguration(): Config {
    return { 'topology.tick.tuple.freq.secs': 2 };
  }

  execute(input: Tuple): void {
    if (input.isTick()) {
      const top = [...this.latest].sort((a, b) => b[1] - a[1]).slice(0, 5);
      process.stderr.write(`top words: ${top.map(([w, c]) => `${w}=${c}`).join(' ')}\n`);
      return;
    }
    this.latest.set(input.getStringByField('word'), input.getNumberByField('count'));
  }
}

export default function pythonWordCount() {
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', new ShellSpout({ command: ['python3', 'sentence_spout.py'], outputFields: ['sentence'] }));
  builder.setBolt('split', new ShellBolt({ command: ['python3', 'split_bolt.py'], outputFields: ['word'] }), 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  builder.setBolt('report', Reporter, 1).globalGrouping('count');
  return builder.createTopology({ 'topology.max.spout.pending': 2000 });
}
