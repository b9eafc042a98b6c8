/**
 * Word count, the "hello world" of stream processing: a reliable sentence spout, a split bolt, a
 * count bolt on a fields grouping (each word always reaches the same counter task) and a reporter.
 *
 *   squall local topologies/word-count/topology.ts --duration 10
 */
import {
  BaseBasicBolt,
  BaseRichSpout,
  TopologyBuilder,
  type BasicOutputCollector,
  type Config,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';

const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
  'snow white and the seven dwarfs',
  'i am at two with nature',
];

/** Emits sentences with a message id and replays the ones that fail, so none is lost. */
export class SentenceSpout extends BaseRichSpout {
  private next = 0;
  private seq = 0;
  private readonly inFlight = new Map<number, string>();
  private readonly replay: number[] = [];

  nextTuple(): void {
    const replayId = this.replay.shift();
    if (replayId !== undefined) {
      this.collector.emit([this.inFlight.get(replayId) ?? ''], replayId);
      return;
    }
    const sentence = SENTENCES[this.next++ % SENTENCES.length] ?? '';
    const id = this.seq++;
    this.inFlight.set(id, sentence);
    this.collector.emit([sentence], id);
  }

  override ack(id: unknown): void {
    this.inFlight.delete(id as number);
  }

  override fail(id: unknown): void {
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['sentence']);
  }
}

export class SplitSentence extends BaseBasicBolt {
  execute(input: Tuple, collector: BasicOutputCollector): void {
    for (const word of input.getStringByField('sentence').split(' ')) {
      if (word.length > 0) collector.emit([word]);
    }
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

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
    return { 'topology.tick.tuple.freq.secs': 5 };
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

export default function wordCount() {
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', SentenceSpout, 1);
  builder.setBolt('split', SplitSentence, 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  builder.setBolt('report', Reporter, 1).globalGrouping('count');
  return builder.createTopology({ 'topology.max.spout.pending': 2000 });
}
