/**
 * Every fault a subprocess can commit, with real faulty children (fixtures/faulty_bolt.py,
 * fixtures/faulty_spout.py): each ends in a reported error naming the component, the task and the
 * pid with the child's last stderr lines; the bolt's in-flight tuples fail and are replayed (a
 * replaying spout sees every message acked exactly once); the subprocess is restarted with a new
 * pid; and the topology goes on.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster, ShellBolt, ShellSpout, TopologyBuilder, type Config } from 'squall';
import { MemoryLogger } from 'squall/internal';
import { Ledger } from '../helpers/ledger.js';
import { eventually } from '../helpers/wait.js';
import { CountingBolt, FIXTURES, PY_ENV, ReplayingSpout, Tally, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

interface FaultCase {
  readonly fault: string;
  /** What the reported error says happened. */
  readonly says: RegExp;
  /** What the child wrote to stderr before faulting. */
  readonly stderr: string;
  readonly config?: Config;
  readonly options?: Record<string, unknown>;
  /** Faults that leave the subprocess running. */
  readonly restarts?: boolean;
}

const BOLT_FAULTS: FaultCase[] = [
  { fault: 'crash', says: /the subprocess exited with code 3/, stderr: 'crashing on purpose' },
  {
    fault: 'hang',
    says: /no answer for [\d.]+ s \(timeout 1 s, topology.subprocess.timeout.secs\)/,
    stderr: 'hanging on purpose',
    config: { 'topology.subprocess.timeout.secs': 1 },
    options: { heartbeatIntervalMs: 200 },
  },
  {
    fault: 'garbage',
    says: /stdout holds something other than protocol messages \(maps\): "this is not a protocol message\\n|not a JSON message \(.*\): "this is not a protocol message/,
    stderr: 'printing to stdout on purpose',
  },
  {
    fault: 'oversized',
    says: /a message of (at least )?\d+ bytes exceeds the limit of 1000000 bytes \(maxMessageBytes\)/,
    stderr: 'emitting an oversized tuple on purpose',
    options: { maxMessageBytes: 1_000_000 },
  },
  { fault: 'handshake_exit', says: /the subprocess exited with code 1 during the handshake/, stderr: 'cannot start: missing configuration (on purpose)' },
  { fault: 'unknown_ack', says: /ack of tuple id "no-such-id", which is not pending/, stderr: 'acking an unknown id on purpose' },
];

async function runFaultyBolt(c: FaultCase, serializer: 'msgpack' | 'json', extension: boolean) {
  const marker = path.join(tempDir('fault'), 'tripped');
  const logger = new MemoryLogger();
  const bolt = new ShellBolt({
    command: ['python3', path.join(FIXTURES, 'faulty_bolt.py')],
    env: { ...PY_ENV, FAULT: c.fault, FAULT_MARKER: marker, FAULT_AFTER: '20' },
    outputFields: ['id', 'sentence'],
    serializer,
    extension,
    logger,
    ...(c.options ?? {}),
  });
  const ledger = new Ledger();
  const total = 300;
  const tally = new Tally();
  const b = new TopologyBuilder();
  b.setSpout('spout', new ReplayingSpout(total, ledger));
  b.setBolt('faulty', bolt).shuffleGrouping('spout');
  b.setBolt('sink', new CountingBolt(tally)).shuffleGrouping('faulty');
  const cluster = new LocalCluster({ logger });
  await cluster.submitTopology('faults', { 'topology.max.spout.pending': 50, ...(c.config ?? {}) }, b.createTopology());
  try {
    await eventually(() => ledger.acked === total, `all ${total} messages acked (acked ${ledger.acked})`, 30_000);
    await new Promise((r) => setTimeout(r, 100));
    return { summary: cluster.getTopologySummary('faults'), ledger, bolt, logger, tally, total };
  } finally {
    await cluster.shutdown();
  }
}

describe.each([
  ['msgpack', true],
  ['json', false],
] as const)('a faulty multilang bolt (%s, extension %s)', (serializer, extension) => {
  it.each(BOLT_FAULTS.filter((c) => serializer === 'msgpack' || ['crash', 'garbage', 'unknown_ack', 'handshake_exit'].includes(c.fault)))(
    '$fault: reported, in-flight tuples failed and replayed, restarted with a new pid, the topology goes on',
    async (c) => {
      const { summary, ledger, bolt, total } = await runFaultyBolt(c, serializer, extension);
      // Every message acked exactly once in the end.
      for (let id = 0; id < total; id++) expect(ledger.acks.get(id), `acks of message ${id}`).toBe(1);
      // The fault, reported once, naming component, task, pid and what happened, with the stderr tail.
      const faults = bolt.stats.faults;
      expect(faults).toHaveLength(1);
      const fault = faults[0]!;
      const firstPid = fault.pid;
      expect(firstPid).toBeGreaterThan(0);
      const reported = summary.errors.filter((e) => e.component === 'faulty' && !e.message.includes(' reported: '));
      expect(reported).toHaveLength(1);
      const message = reported[0]!.message;
      expect(message).toContain(`Multilang bolt 'faulty' task ${reported[0]!.task} (pid ${firstPid}`);
      expect(message).toMatch(c.says);
      expect(message).toContain(`| faulty bolt ${firstPid}: ${c.stderr}`);
      expect(message).toMatch(/restarting in \d+ ms/);
      // A new subprocess with a new pid took over (one that never finished its handshake is not listed).
      expect(bolt.stats.pids).toHaveLength(c.fault === 'handshake_exit' ? 1 : 2);
      expect(bolt.stats.pids.at(-1)).not.toBe(firstPid);
      expect(bolt.stats.restarts).toBe(1);
      if (c.fault !== 'handshake_exit') {
        // Its in-flight tuples failed, so the spout replayed them.
        expect(message).toMatch(/\d+ in-flight tuple\(s\) failed/);
        expect(ledger.replays).toBeGreaterThan(0);
        expect(summary.components.faulty?.failed).toBeGreaterThan(0);
      }
      expect(ledger.emitted).toBe(total + ledger.replays);
    },
  );
});

describe('a multilang bolt sending an unknown command', () => {
  it('is ignored as in Storm, reported once, and nothing is lost or restarted', async () => {
    const c: FaultCase = { fault: 'unknown_command', says: /unknown command "frobnicate" ignored/, stderr: '' };
    const { summary, ledger, bolt, total } = await runFaultyBolt(c, 'msgpack', true);
    for (let id = 0; id < total; id++) expect(ledger.acks.get(id)).toBe(1);
    expect(ledger.replays).toBe(0);
    const reported = summary.errors.filter((e) => e.component === 'faulty');
    expect(reported).toHaveLength(1);
    expect(reported[0]!.message).toMatch(c.says);
    expect(reported[0]!.message).toContain(`(pid ${bolt.stats.pids[0]}`);
    expect(bolt.stats.faults).toEqual([]);
    expect(bolt.stats.pids).toHaveLength(1);
  });
});

describe('a multilang bolt whose emit the runtime refuses', () => {
  it('is reported, the input it was anchored to fails and replays, no restart', async () => {
    const c: FaultCase = { fault: 'bad_emit', says: /emit refused \(.*emitted 3 value\(s\) but the stream declares 2 field\(s\).*\); its anchor tuple\(s\) will fail/, stderr: '' };
    const { summary, ledger, bolt, total } = await runFaultyBolt(c, 'msgpack', true);
    for (let id = 0; id < total; id++) expect(ledger.acks.get(id)).toBe(1);
    expect(ledger.replays).toBe(1);
    const reported = summary.errors.filter((e) => e.component === 'faulty');
    expect(reported).toHaveLength(1);
    expect(reported[0]!.message).toMatch(c.says);
    expect(bolt.stats.faults).toEqual([]);
    expect(bolt.stats.pids).toHaveLength(1);
  });
});

describe.each([
  ['msgpack', true],
  ['json', false],
] as const)('a faulty multilang spout (%s, extension %s)', (serializer, extension) => {
  it.each([
    { fault: 'unknown_command', says: /a spout cannot send "frobnicate"/ },
    { fault: 'crash', says: /the subprocess exited with code 3/ },
  ])('$fault: reported with its stderr, restarted with a new pid, the topology goes on', async ({ fault, says }) => {
    const marker = path.join(tempDir('spout-fault'), 'tripped');
    const logger = new MemoryLogger();
    const spout = new ShellSpout({
      command: ['python3', path.join(FIXTURES, 'faulty_spout.py')],
      env: { ...PY_ENV, FAULT: fault, FAULT_MARKER: marker, FAULT_AFTER: '20' },
      outputFields: ['n'],
      serializer,
      extension,
      logger,
    });
    const tally = new Tally();
    const b = new TopologyBuilder();
    b.setSpout('numbers', spout);
    b.setBolt('sink', new CountingBolt(tally)).shuffleGrouping('numbers');
    const cluster = new LocalCluster({ logger });
    await cluster.submitTopology('spout-faults', { 'topology.max.spout.pending': 10 }, b.createTopology());
    try {
      // The restarted subprocess numbers its tuples from 1000000: the topology goes on.
      await eventually(() => [...tally.counts.keys()].filter((k) => Number(k) >= 1_000_000).length >= 20, 'tuples from the new subprocess');
      const summary = cluster.getTopologySummary('spout-faults');
      const firstPid = spout.stats.pids[0];
      const reported = summary.errors.filter((e) => e.component === 'numbers' && !e.message.includes(' reported: '));
      expect(reported).toHaveLength(1);
      expect(reported[0]!.message).toContain(`Multilang spout 'numbers' task ${reported[0]!.task} (pid ${firstPid}`);
      expect(reported[0]!.message).toMatch(says);
      expect(reported[0]!.message).toContain(`| faulty spout ${firstPid}: ${fault} on purpose`);
      expect(spout.stats.pids.length).toBe(2);
      expect(spout.stats.pids[1]).not.toBe(firstPid);
      // The first subprocess's tuples arrived (those it had written before dying), none twice.
      expect([...tally.counts.keys()].filter((k) => Number(k) < 20).length).toBeGreaterThan(0);
      for (const [n, count] of tally.counts) expect(count, `tuple ${n}`).toBe(1);
    } finally {
      await cluster.shutdown();
    }
  });
});
