import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe } from '../common/index.js';
import { natsServers, type NatsAuth } from '../config/index.js';
import { natsConnectOptions } from '../config/nats-connect.js';
import type { Value, Values } from '../tuple/index.js';
import { TridentError } from './errors.js';
import type { TransactionAttempt, TridentCollector } from './operations.js';
import { PartitionedTridentSpout, type PartitionedSource } from './spout.js';

/** The stream to read, and credentials (NatsAuth) when the NATS server asks for them. */
export interface JetStreamSpoutOptions extends NatsAuth {
  /** NATS URLs. @defaultValue `SQUALL_NATS`, else nats://127.0.0.1:4222 */
  readonly servers?: string | readonly string[];
  /** The JetStream stream to read. */
  readonly stream: string;
  /** The partitions: one subject (filter) of the stream each, read in stream order. */
  readonly subjects: readonly string[];
  /** Fields of the emitted tuples. @defaultValue ["message"] */
  readonly fields?: readonly string[];
  /** Tuple values of a message. @defaultValue its payload as UTF-8 text */
  readonly toValues?: (data: Uint8Array, subject: string, seq: number) => Values;
  /** Most messages per partition per batch. @defaultValue 1000 */
  readonly maxBatchSize?: number;
  /**
   * `transactional`: a replayed txid re-reads exactly the same stream sequences (fails if retention
   * removed them); `opaque`: a replay reads again from the partition's last committed position.
   * @defaultValue "opaque"
   */
  readonly type?: 'transactional' | 'opaque';
}

/** A partition's batch: stream sequences `first..last` of its subject, `count` messages; `next` is where the next batch starts. */
interface SeqMeta {
  readonly first: number;
  readonly last: number;
  readonly next: number;
  readonly count: number;
}

function seqMeta(v: Value | null): SeqMeta | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const m = v as Record<string, Value>;
  return typeof m.next === 'number' && typeof m.first === 'number' && typeof m.last === 'number' && typeof m.count === 'number'
    ? { first: m.first, last: m.last, next: m.next, count: m.count }
    : null;
}

const decoder = new TextDecoder();

class JetStreamSource implements PartitionedSource {
  private conn: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;

  constructor(private readonly options: JetStreamSpoutOptions) {}

  private servers(): string[] {
    return natsServers(this.options.servers);
  }

  private connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    this.conn ??= (async () => {
      const servers = this.servers();
      try {
        const nc = await connect(natsConnectOptions(servers, 'squall-trident-spout', this.options));
        return { nc, js: jetstream(nc) };
      } catch (err) {
        this.conn = undefined;
        throw new TridentError(`cannot reach NATS at ${servers.join(', ')} for stream '${this.options.stream}': ${describe(err)}`, { cause: err });
      }
    })();
    return this.conn;
  }

  getPartitions(): readonly string[] {
    return this.options.subjects;
  }

  /** Up to `max` messages of `subject` from sequence `start` on, none after `last`. */
  private async read(subject: string, start: number, max: number, last: number): Promise<{ seq: number; subject: string; data: Uint8Array }[]> {
    const { js } = await this.connection();
    try {
      const consumer = await js.consumers.get(this.options.stream, {
        filter_subjects: subject,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: start,
      });
      // How many there are now, so the fetch does not wait for messages that are not there.
      const pending = (await consumer.info(true)).num_pending;
      const n = Math.min(pending, max);
      const out: { seq: number; subject: string; data: Uint8Array }[] = [];
      if (n === 0) return out;
      const messages = await consumer.fetch({ max_messages: n, expires: 5000 });
      for await (const m of messages) {
        if (m.seq > last) break;
        out.push({ seq: m.seq, subject: m.subject, data: m.data });
        if (out.length >= n) break;
      }
      await messages.close();
      return out;
    } catch (err) {
      throw new TridentError(`reading '${subject}' of stream '${this.options.stream}' from sequence ${start} failed: ${describe(err)}`, { cause: err });
    }
  }

  private emit(collector: TridentCollector, messages: readonly { seq: number; subject: string; data: Uint8Array }[]): void {
    const toValues = this.options.toValues ?? ((data: Uint8Array) => [decoder.decode(data)]);
    for (const m of messages) collector.emit(toValues(m.data, m.subject, m.seq));
  }

  async emitNewPartitionBatch(_tx: TransactionAttempt, collector: TridentCollector, partition: string, lastMeta: Value | null): Promise<Value> {
    const start = seqMeta(lastMeta)?.next ?? 1;
    const messages = await this.read(partition, start, this.options.maxBatchSize ?? 1000, Number.MAX_SAFE_INTEGER);
    this.emit(collector, messages);
    const lastSeq = messages.at(-1)?.seq ?? start - 1;
    return { first: messages[0]?.seq ?? start, last: lastSeq, next: lastSeq + 1, count: messages.length };
  }

  async emitPartitionBatch(tx: TransactionAttempt, collector: TridentCollector, partition: string, meta: Value): Promise<void> {
    const m = seqMeta(meta);
    if (m === null || m.count === 0) return;
    const messages = await this.read(partition, m.first, m.count, m.last);
    if (messages.length !== m.count) {
      throw new TridentError(
        `batch ${tx.txid} of '${partition}' had ${m.count} messages (sequences ${m.first} to ${m.last}); the stream now has ${messages.length} of them (removed by retention?)`,
      );
    }
    this.emit(collector, messages);
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c !== undefined) await (await c.catch(() => undefined))?.nc.close();
  }
}

/**
 * A partitioned Trident spout over a NATS JetStream stream, one partition per subject: each
 * batch reads the next messages of each partition, and the sequences it covered are stored per
 * txid as the batch's metadata, so a replayed batch reads the same messages (transactional) or
 * again from where the partition's previous batch ended (opaque).
 */
export class JetStreamTridentSpout extends PartitionedTridentSpout {
  constructor(options: JetStreamSpoutOptions) {
    super(options.type ?? 'opaque', options.fields ?? ['message'], () => new JetStreamSource(options));
  }
}
