import { describe, expect, it } from 'vitest';
import { BaseBasicBolt, BaseRichSpout, FailedError, TopologyBuilder, type BasicOutputCollector, type OutputFieldsDeclarer, type Tuple } from 'squall';
import { TupleImpl, WorkerRuntime, decodeValues, encodeValues } from 'squall/internal';
import { Ledger } from '../helpers/ledger.js';
import { eventually } from '../helpers/wait.js';

/**
 * Two workers in one process, joined by a transfer function that serializes every tuple as the
 * ZeroMQ transport will: checks that routing, acking messages to ackers in the other worker and
 * completions back to the spout work when tasks are split, before cluster mode exists.
 */

class Numbers extends BaseRichSpout {
  private next = 0;
  private readonly replay: number[] = [];
  constructor(private readonly ledger: Ledger, private readonly total: number) {
    super();
  }
  nextTuple(): void {
    const id = this.replay.shift() ?? (this.next < this.total ? this.next++ : undefined);
    if (id !== undefined) this.collector.emit([id, `number ${id}`], id);
  }
  override ack(id: unknown): void {
    this.ledger.ack(id);
  }
  override fail(id: unknown): void {
    this.ledger.fail(id);
    this.replay.push(id as number);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['n', 'text']);
  }
}

class Words extends BaseBasicBolt {
  execute(t: Tuple, c: BasicOutputCollector): void {
    for (const w of t.getStringByField('text').split(' ')) c.emit([w, t.getNumberByField('n')]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word', 'n']);
  }
}

class Flaky extends BaseBasicBolt {
  execute(): void {
    if (Math.random() < 0.05) throw new FailedError('flaky');
  }
}

describe('tasks split over two workers', () => {
  it('acks every message exactly once with ackers and bolts in both workers', async () => {
    const ledger = new Ledger();
    const b = new TopologyBuilder();
    b.setSpout('numbers', new Numbers(ledger, 500), 2);
    b.setBolt('words', Words, 2).shuffleGrouping('numbers');
    b.setBolt('flaky', Flaky, 2).fieldsGrouping('words', ['word']);
    const topology = b.createTopology({ 'topology.acker.executors': 2, 'topology.max.spout.pending': 50 });

    const workers: WorkerRuntime[] = [];
    let crossed = 0;
    const wire = (to: () => WorkerRuntime) => (task: number, t: TupleImpl) => {
      crossed++;
      const copy = new TupleImpl(decodeValues(encodeValues(t.values as never)), t.fields, t.sourceComponent, t.sourceStreamId, t.sourceTask, [...t.anchors]);
      // Delivered later, as a network would.
      setImmediate(() => to().receive(task, copy));
    };
    const probe = new WorkerRuntime({ name: 'probe', topology });
    const all = [...probe.plan.taskToComponent.keys()].sort((x, y) => x - y);
    // Every component has two tasks: the first of each goes to worker A, the second to worker B.
    const first = new Set<number>();
    for (const tasks of probe.plan.componentTasks.values()) if (tasks[0] !== undefined) first.add(tasks[0]);
    const a = new WorkerRuntime({ name: 't', topology, tasks: all.filter((t) => first.has(t)), remoteTransfer: wire(() => workers[1]!) });
    const bw = new WorkerRuntime({ name: 't', topology, tasks: all.filter((t) => !first.has(t)), remoteTransfer: wire(() => workers[0]!) });
    workers.push(a, bw);
    await a.start();
    await bw.start();
    // Two spout copies each emit ids 0..499.
    await eventually(() => ledger.totalAcks === 1000, '1000 acks', 20_000);
    await a.stop();
    await bw.stop();
    for (let id = 0; id < 500; id++) expect(ledger.acks.get(id)).toBe(2);
    expect(ledger.replays).toBeGreaterThan(0);
    expect(crossed).toBeGreaterThan(1000);
  });
});

describe('backpressure across workers', () => {
  it('stops the spouts of a worker while its transport to other workers is backed up', async () => {
    const ledger = new Ledger();
    const b = new TopologyBuilder();
    b.setSpout('numbers', new Numbers(ledger, 1_000_000));
    b.setBolt('words', Words).shuffleGrouping('numbers');
    const topology = b.createTopology({ 'topology.acker.executors': 0 });
    const probe = new WorkerRuntime({ name: 'probe', topology });
    const spoutTasks = probe.plan.tasksOf('numbers');
    let backedUp = true;
    let sent = 0;
    const worker = new WorkerRuntime({
      name: 'bp',
      topology,
      tasks: [...spoutTasks],
      remoteTransfer: () => void sent++,
      remoteBackpressured: () => backedUp,
    });
    await worker.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toBe(0);
    backedUp = false;
    await eventually(() => sent > 100, 'tuples once the transport drains');
    backedUp = true;
    await new Promise((r) => setTimeout(r, 20));
    const at = sent;
    await new Promise((r) => setTimeout(r, 100));
    // Once the flag has been seen (the 20 ms above), nothing more goes out.
    expect(sent - at).toBe(0);
    await worker.stop();
  });
});
