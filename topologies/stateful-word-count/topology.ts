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
  BaseBasicBolt,
  BaseRichSpout,
  BaseStatefulBolt,
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
  private seq = 0;
  private readonly inFlight = new Map<number, string>();
  private readonly replay: number[] = [];

  nextTuple(): void {
    const replayId = this.replay.shift();
    if (replayId !== undefined) {
      this.collector.emit([this.inFlight.get(replayId) ?? ''], replayId);
      return;
    }
    const id = this.seq++;
    const sentence = SENTENCES[id % SENTENCES.length] ?? '';
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
