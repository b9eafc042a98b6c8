/**
 * Word count with a Go split bolt (main.go, built on the Go library in multilang/go): a
 * TypeScript sentence spout, the Go bolt as a subprocess per task, a TypeScript count bolt.
 *
 *   squall local topologies/go-word-count/topology.ts --duration 5
 *
 * The bolt's binary is built into bin/ (git-ignored) with `go build` when the topology is created
 * and the binary is missing or older than its sources; a Go toolchain is needed then.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BaseBasicBolt,
  BaseRichSpout,
  ShellBolt,
  TopologyBuilder,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BINARY = path.join(HERE, 'bin', 'split');

/** Builds bin/split unless it is newer than every Go source and module file here. */
export function buildSplitBolt(): string {
  const sources = readdirSync(HERE).filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum');
  const fresh = existsSync(BINARY) && sources.every((f) => statSync(path.join(HERE, f)).mtimeMs <= statSync(BINARY).mtimeMs);
  if (!fresh) {
    try {
      execFileSync('go', ['build', '-o', BINARY, '.'], { cwd: HERE, stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      throw new Error(`go-word-count: building the Go split bolt failed (is Go installed?): ${(err as Error).message}`);
    }
  }
  return BINARY;
}

const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
  'snow white and the seven dwarfs',
  'i am at two with nature',
];

/** Emits sentences with a message id and replays the ones that fail. */
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

export default function goWordCount() {
  const split = buildSplitBolt();
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', SentenceSpout, 1);
  // An absolute path: the binary runs in this folder (the topology's resources directory) either way.
  builder.setBolt('split', new ShellBolt({ command: [split], outputFields: ['word'] }), 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  return builder.createTopology({ 'topology.max.spout.pending': 2000 });
}
