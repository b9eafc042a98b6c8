import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import {
  BaseRichBolt,
  BaseRichSpout,
  type Anchors,
  type OutputCollector,
  type OutputFieldsDeclarer,
  type SpoutOutputCollector,
  type Topology,
  type TopologyContext,
  type Tuple,
  type Values,
} from 'squall';
import { MemoryLogger, WorkerRuntime } from 'squall/internal';
import type { Ledger } from '../helpers/ledger.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = path.join(ROOT, 'test/multilang/fixtures');
export const TRANSCRIPTS = path.join(ROOT, 'multilang/spec/transcripts');
export const PY_EXAMPLES = path.join(ROOT, 'multilang/python/examples');
/** The Python library, importable without the pip install. */
export const PY_ENV = { PYTHONPATH: path.join(ROOT, 'multilang/python/src') };

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `squall-test-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Builds a Go program of multilang/go (e.g. `./examples/splitsentence`) into `dir`. No Go, no test: it throws. */
export function buildGo(pkg: string, dir: string): string {
  const out = path.join(dir, path.basename(pkg));
  execFileSync('go', ['build', '-o', out, pkg], { cwd: path.join(ROOT, 'multilang/go'), stdio: 'pipe' });
  return out;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Every message of a transcript .bin file, decoded. */
export function decodeBin(file: string, serializer: 'msgpack' | 'json'): unknown[] {
  const bytes = readFileSync(file);
  if (serializer === 'msgpack') return packr.unpackMultiple(bytes);
  return bytes
    .toString('utf8')
    .split('\nend\n')
    .filter((s) => s.trim() !== '')
    .map((s) => JSON.parse(s) as unknown);
}

export interface Step {
  readonly from: 'host' | 'child';
  readonly msg: unknown;
}

export function conversation(name: string): Step[] {
  return JSON.parse(readFileSync(path.join(TRANSCRIPTS, name, 'conversation.json'), 'utf8')) as Step[];
}

/** A context exactly as the runtime builds it, for a task of `topology` (the runtime is not started). */
export function taskContext(name: string, topology: Topology, component: string, task: number): TopologyContext {
  const runtime = new WorkerRuntime({ name, topology, logger: new MemoryLogger() });
  for (const e of runtime.executors) {
    if (e.component !== component) continue;
    for (const t of e.tasks) if (t.id === task) return t.context;
  }
  throw new Error(`no task ${task} of '${component}'`);
}

export interface Recorded {
  emits: { stream: string; anchors: readonly Tuple[]; values: Values; task?: number }[];
  acked: Tuple[];
  failed: Tuple[];
  errors: unknown[];
}

/**
 * The collector a test gives a ShellBolt it drives by hand: records everything, and answers each
 * non-direct emit with the next task-id list of `taskIds`.
 */
export class RecordingCollector implements OutputCollector {
  readonly recorded: Recorded = { emits: [], acked: [], failed: [], errors: [] };

  constructor(private readonly taskIds: number[][] = []) {}

  emit(...args: unknown[]): number[] {
    const [stream, anchors, values] =
      args.length === 3 ? (args as [string, Anchors, Values]) : args.length === 2 ? ['default', args[0] as Anchors, args[1] as Values] : ['default', null, args[0] as Values];
    this.recorded.emits.push({ stream, anchors: toList(anchors), values });
    return this.taskIds.shift() ?? [];
  }

  emitDirect(task: number, ...args: unknown[]): void {
    const [stream, anchors, values] = args as [string, Anchors, Values];
    this.recorded.emits.push({ stream, anchors: toList(anchors), values, task });
  }

  ack(input: Tuple): void {
    this.recorded.acked.push(input);
  }

  fail(input: Tuple): void {
    this.recorded.failed.push(input);
  }

  resetTimeout(): void {}

  reportError(error: unknown): void {
    this.recorded.errors.push(error);
  }
}

function toList(a: Anchors): readonly Tuple[] {
  if (a === null || a === undefined) return [];
  return Array.isArray(a) ? (a as readonly Tuple[]) : [a as Tuple];
}

/** The spout collector for a ShellSpout driven by hand: records emits, answers task ids. */
export class RecordingSpoutCollector implements SpoutOutputCollector {
  readonly emits: { stream: string; values: Values; messageId: unknown; task?: number }[] = [];
  readonly errors: unknown[] = [];
  pending = 0;

  constructor(private readonly taskIds: number[][] = []) {}

  emit(...args: unknown[]): number[] {
    const [stream, values, messageId] = typeof args[0] === 'string' ? (args as [string, Values, unknown]) : ['default', args[0] as Values, args[1]];
    this.emits.push({ stream, values, messageId });
    if (messageId !== undefined) this.pending++;
    return this.taskIds.shift() ?? [];
  }

  emitDirect(task: number, ...args: unknown[]): void {
    const [stream, values, messageId] = typeof args[0] === 'string' ? (args as [string, Values, unknown]) : ['default', args[0] as Values, args[1]];
    this.emits.push({ stream, values, messageId, task });
    if (messageId !== undefined) this.pending++;
  }

  reportError(error: unknown): void {
    this.errors.push(error);
  }

  getPendingCount(): number {
    return this.pending;
  }
}

/** Emits ids 0..total-1 once each (as `[id, sentence]`), replays what fails, counts acks and fails per id. */
export class ReplayingSpout extends BaseRichSpout {
  private next = 0;
  private readonly replay: number[] = [];

  constructor(
    private readonly total: number,
    private readonly ledger: Ledger,
    private readonly sentence: (id: number) => string = (id) => `sentence ${id} has five words`,
  ) {
    super();
  }

  nextTuple(): void {
    const id = this.replay.shift() ?? (this.next < this.total ? this.next++ : undefined);
    if (id === undefined) return;
    this.ledger.emitted++;
    this.collector.emit([id, this.sentence(id)], id);
  }

  override ack(id: unknown): void {
    this.ledger.ack(id);
  }

  override fail(id: unknown): void {
    this.ledger.fail(id);
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'sentence']);
  }
}

/** Counts what it receives (shared over its tasks) and acks it. */
export class Tally {
  readonly counts = new Map<string, number>();
  total = 0;
}

export class CountingBolt extends BaseRichBolt {
  constructor(
    private readonly tally: Tally,
    private readonly field = 0,
  ) {
    super();
  }

  execute(input: Tuple): void {
    const v = input.getValue(this.field);
    const k = typeof v === 'string' ? v : JSON.stringify(v);
    this.tally.counts.set(k, (this.tally.counts.get(k) ?? 0) + 1);
    this.tally.total++;
    this.collector.ack(input);
  }
}

/** Word counts of sentences split on whitespace. */
export function wordCounts(sentences: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of sentences) for (const w of s.split(/\s+/).filter((x) => x.length > 0)) out.set(w, (out.get(w) ?? 0) + 1);
  return out;
}
