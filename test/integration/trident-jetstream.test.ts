import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailedError,
  JetStreamTridentSpout,
  LocalCluster,
  RedisMapState,
  TridentCount,
  TridentTopology,
  type Config,
} from 'squall';
import { tridentStats } from '../../src/trident/index.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync } from '../helpers/wait.js';
import { redisCounts } from '../helpers/trident.js';

const SUBJECTS = ['events.0', 'events.1', 'events.2'];
const WORDS = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black'];

let nats: RunningServer;
let redis: RunningServer;
let nc: NatsConnection;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

/** Publishes `n` words over the three partitions; returns how many of each were published. */
async function publish(stream: string, n: number, seed: number, into: Record<string, number>): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < n; i++) {
    const word = WORDS[(i * 3 + seed) % WORDS.length] as string;
    await js.publish(`${stream}.${(i + seed) % SUBJECTS.length}`, new TextEncoder().encode(word));
    into[word] = (into[word] ?? 0) + 1;
  }
}

/** Polls `check` every 50 ms until it holds (a minute by default). */
const until = (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> => eventuallyAsync(check, what, timeoutMs, 50);

describe('a partitioned Trident spout over a NATS JetStream stream', () => {
  for (const type of ['transactional', 'opaque'] as const) {
    it(`counts every message exactly once through failures and a restart (${type})`, async () => {
      const stream = `words_${type}`;
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: stream, subjects: [`${stream}.*`] });
      const expected: Record<string, number> = {};
      await publish(stream, 300, 1, expected);
      const name = `jetstream-${type}`;
      const build = () => {
        const topology = new TridentTopology();
        const spout = new JetStreamTridentSpout({
          servers: nats.url,
          stream,
          subjects: SUBJECTS.map((s) => s.replace('events', stream)),
          fields: ['word'],
          maxBatchSize: 40,
          type,
        });
        topology
          .newStream('words', spout)
          .parallelismHint(2)
          .filter(() => {
            if (Math.random() < 0.01) throw new FailedError('injected failure');
            return true;
          })
          .groupBy(['word'])
          .persistentAggregate(
            type === 'opaque' ? RedisMapState.opaque({ url: redis.url, name: 'counts' }) : RedisMapState.transactional({ url: redis.url, name: 'counts' }),
            new TridentCount(),
            ['count'],
          )
          .parallelismHint(2);
        return topology.build();
      };
      const config: Config = {
        'topology.max.spout.pending': 3,
        'topology.trident.batch.emit.interval.millis': 5,
        'topology.message.timeout.secs': 5,
        'topology.trident.metadata.provider': 'nats',
        'topology.trident.metadata.provider.config': { servers: nats.url, bucket: `meta_${type}` },
      };
      const first = new LocalCluster();
      await first.submitTopology(name, config, build());
      await until(() => tridentStats(name).committed >= 5, 'five commits');
      await publish(stream, 200, 2, expected);
      await first.killTopology(name, { waitMs: 0 });
      await publish(stream, 200, 3, expected);
      const second = new LocalCluster();
      await second.submitTopology(name, config, build());
      try {
        let last: Record<string, number> = {};
        await until(async () => JSON.stringify(Object.entries((last = await redisCounts(redis.url, name))).sort()) === JSON.stringify(Object.entries(expected).sort()), 'exact counts').catch(
          (err: unknown) => {
            expect(last).toEqual(expected);
            throw err;
          },
        );
        const committed = tridentStats(name).committed;
        await until(() => tridentStats(name).committed >= committed + 5, 'five more commits');
        expect(await redisCounts(redis.url, name)).toEqual(expected);
        expect(tridentStats(name).failedAttempts).toBeGreaterThan(0);
      } finally {
        await second.shutdown();
      }
    });
  }
});
