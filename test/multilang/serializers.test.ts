/**
 * What the serializer choice means to a user, with real Python subprocesses: integers beyond
 * 2^53 cross the json serializer exactly both ways (a storm.py-style component,
 * fixtures/storm_style.py), and a component of the other serializer gets an error that names the
 * serializer to set instead of bare handshake timeouts.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellBolt, TopologyBuilder, type OutputFieldsDeclarer, type Topology, type TopologyContext } from 'squall';
import { MemoryLogger } from 'squall/internal';
import { completeTopology } from 'squall/testing';
import { eventually } from '../helpers/wait.js';
import { FIXTURES, RecordingCollector, removeTempDirs, taskContext } from './helpers.js';

afterAll(removeTempDirs);

const BIG = 1152921504606846976n; // 2^60: 1152921504606847000 as a double's shortest text

function numbers(): { open(): void; nextTuple(): void; declareOutputFields(d: OutputFieldsDeclarer): void } {
  return { open() {}, nextTuple() {}, declareOutputFields: (d: OutputFieldsDeclarer) => d.declare(['n']) };
}

describe('integers beyond 2^53 over json', () => {
  it('a storm.py-style bolt receives 1152921504606846976 exactly and its emits of it (and of it + 1) come back exact', async () => {
    const b = new TopologyBuilder();
    b.setSpout('numbers', numbers() as never);
    b.setBolt('echo', new ShellBolt({
      command: ['python3', path.join(FIXTURES, 'storm_style.py'), 'echo'],
      outputFields: ['v', 'next', 'text', 'type'],
      serializer: 'json',
    })).shuffleGrouping('numbers');
    const result = await completeTopology(b.createTopology(), {
      // A bigint, a double holding 2^60 exactly, a negative int64 and a safe number.
      mockedSources: { numbers: [[BIG], [2 ** 60], [-(2n ** 63n)], [42]] },
      timeoutMs: 20_000,
      logger: new MemoryLogger(),
    });
    expect(result.summary.errors).toEqual([]);
    expect(result.emitted.echo?.default).toEqual([
      [BIG, BIG + 1n, '1152921504606846976', 'int'],
      [BIG, BIG + 1n, '1152921504606846976', 'int'],
      [-(2n ** 63n), -(2n ** 63n) + 1n, '-9223372036854775808', 'int'],
      [42, 43, '42', 'int'],
    ]);
  });
});

/** What a MultilangError carries. */
interface Reported {
  readonly code: string;
  readonly kind: string;
  readonly message: string;
  readonly stderrTail: readonly string[];
}

/** The context of the component's one task (its id depends on the topology's other components). */
function contextOf(topology: Topology, component: string): TopologyContext {
  for (let task = 1; ; task++) {
    try {
      return taskContext('mismatch', topology, component, task);
    } catch (err) {
      if (task > 8) throw err;
    }
  }
}

/** Prepares a bolt by hand and returns the first error it reports (the handshake's fault). */
async function firstFault(command: string[], serializer: 'msgpack' | 'json' | undefined, timeoutSecs = 20): Promise<Reported> {
  const bolt = new ShellBolt({ command, outputFields: ['n'], logger: new MemoryLogger(), ...(serializer === undefined ? {} : { serializer }) });
  const b = new TopologyBuilder();
  b.setSpout('numbers', numbers() as never);
  b.setBolt('split', bolt).shuffleGrouping('numbers');
  const topology = b.createTopology();
  const config = { ...topology.config, 'topology.subprocess.timeout.secs': timeoutSecs };
  const collector = new RecordingCollector();
  try {
    await bolt.prepare(config, contextOf(topology, 'split'), collector);
    await eventually(() => collector.recorded.errors.length > 0, 'a reported fault', 30_000);
  } finally {
    await bolt.cleanup();
  }
  const error = collector.recorded.errors[0] as Reported;
  expect(error.code).toBe('MULTILANG');
  return error;
}

describe('a component of the other serializer', () => {
  it('a storm.py-style json component run without serializer: json: the timeout says to set it', async () => {
    const error = await firstFault(['python3', path.join(FIXTURES, 'storm_style.py'), 'echo'], undefined, 1);
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/no handshake reply within 1 s .*it wrote nothing on stdout\. This host speaks msgpack .*storm\.py.*give it serializer: 'json'/s);
  });

  it('a pystorm-style msgpack component run with serializer: json: the handshake exit says to set msgpack', async () => {
    const error = await firstFault(['python3', path.join(FIXTURES, 'pystorm_style.py'), 'bolt'], 'json');
    expect(error.kind, error.message).toBe('handshake');
    expect(error.message).toMatch(/exited with code 1 during the handshake.*This host speaks json.*give it serializer: 'msgpack'/s);
    // Its traceback is in the report too.
    expect(error.stderrTail.join('\n')).toMatch(/Error/);
  });

  it('JSON text on a msgpack stream is named as such', async () => {
    // A component that writes its json reply to a msgpack host: the decode error names json.
    const script = 'import json, os, sys; sys.stdin.buffer.read(1); print(json.dumps({"pid": os.getpid()})); print("end"); sys.stdout.flush(); sys.stdin.read()';
    const error = await firstFault(['python3', '-c', script], 'msgpack');
    expect(error.kind).toBe('decode');
    expect(error.message).toMatch(/stdout holds something other than protocol messages \(maps\): "\{\\"pid\\": \d+\}.*"; it is JSON text .*give the component serializer: 'json'/);
  });
});
