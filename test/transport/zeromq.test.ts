import { afterEach, describe, expect, it } from 'vitest';
import { Push } from 'zeromq';
import { BatchReceiver, BatchSender, curveKeyPair } from '../../src/transport/index.js';
import { freePort } from '../helpers/servers.js';
import { eventually } from '../helpers/wait.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

function receiver(): { received: string[]; r: BatchReceiver } {
  const received: string[] = [];
  const r = new BatchReceiver((b) => received.push(Buffer.from(b).toString()));
  open.push(r);
  return { received, r };
}

describe('ZeroMQ batch transport', () => {
  for (const proto of ['tcp', 'ipc'] as const) {
    it(`delivers batches in order over ${proto}`, async () => {
      const { received, r } = receiver();
      // tcp: the receiver binds a port of the OS's choosing and keeps it; the sender reads it back.
      const endpoint = await r.bind(proto === 'tcp' ? 'tcp://127.0.0.1:*' : `ipc:///tmp/squall-test-${process.pid}-${Date.now()}.sock`);
      const s = new BatchSender(endpoint);
      open.push(s);
      for (let i = 0; i < 500; i++) s.send(Buffer.from(`batch-${i}`));
      await eventually(() => received.length === 500, '500 batches');
      expect(received).toEqual(Array.from({ length: 500 }, (_, i) => `batch-${i}`));
    });
  }

  it('holds batches for a peer that is not up yet, and delivers when it binds', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const s = new BatchSender(endpoint);
    open.push(s);
    for (let i = 0; i < 10; i++) s.send(Buffer.from(`early-${i}`));
    await new Promise((r) => setTimeout(r, 100));
    const { received, r } = receiver();
    await r.bind(endpoint);
    await eventually(() => received.length === 10, 'the early batches');
    expect(received[0]).toBe('early-0');
  });

  it('reconnects to a peer that restarts on the same endpoint', async () => {
    const first = receiver();
    const endpoint = await first.r.bind('tcp://127.0.0.1:*');
    const s = new BatchSender(endpoint);
    open.push(s);
    s.send(Buffer.from('before'));
    await eventually(() => first.received.length === 1, 'the first batch');
    await first.r.close();
    const second = receiver();
    await second.r.bind(endpoint);
    // Sent after the restart: ZeroMQ reconnects on its own.
    await eventually(() => {
      s.send(Buffer.from('after'));
      return second.received.includes('after');
    }, 'a batch after the restart', 10_000);
  });

  it('reports backpressure while batches queue, and drains', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const s = new BatchSender(endpoint, { highWaterMark: 1, maxQueued: 8 });
    open.push(s);
    for (let i = 0; i < 20; i++) s.send(Buffer.alloc(64));
    expect(s.isBackpressured).toBe(true);
    const { received, r } = receiver();
    await r.bind(endpoint);
    await s.flushed();
    expect(s.isBackpressured).toBe(false);
    await eventually(() => received.length === 20, 'all 20 batches');
  });

  it('survives batches its handler refuses: each is counted and handed to onRefused, and receiving goes on', async () => {
    const received: string[] = [];
    const refusals: string[] = [];
    const r = new BatchReceiver(
      (b) => {
        const text = Buffer.from(b).toString();
        if (text.startsWith('bad')) throw new Error(`cannot decode ${text}`);
        received.push(text);
      },
      { onRefused: (err) => refusals.push((err as Error).message) },
    );
    open.push(r);
    const endpoint = await r.bind('tcp://127.0.0.1:*');
    // A raw ZeroMQ PUSH, as anyone who can reach the port could send.
    const raw = new Push({ linger: 0 });
    open.push(raw);
    raw.connect(endpoint);
    for (const m of ['good-1', 'bad-1', 'bad-2', 'good-2']) await raw.send(m);
    await eventually(() => received.length === 2, 'the good batches');
    expect(received).toEqual(['good-1', 'good-2']);
    expect(r.refused).toBe(2);
    expect(refusals).toEqual(['cannot decode bad-1', 'cannot decode bad-2']);
  });

  it('with CURVE, delivers from authorized keys only; plain and unknown clients fail the handshake', async () => {
    const server = curveKeyPair();
    const worker = curveKeyPair();
    const stranger = curveKeyPair();
    const received: string[] = [];
    const refusedPeers: string[] = [];
    const asked: string[] = [];
    const r = new BatchReceiver((b) => received.push(Buffer.from(b).toString()), {
      curve: {
        keys: server,
        // Asynchronous, as a worker's is when it reads keys from NATS.
        authorize: (key) => {
          asked.push(key);
          return Promise.resolve(key === worker.publicKey);
        },
      },
      onRefusedPeer: (reason) => refusedPeers.push(reason),
    });
    open.push(r);
    const endpoint = await r.bind('tcp://127.0.0.1:*');
    const plain = new BatchSender(endpoint);
    const unknown = new BatchSender(endpoint, { curve: { keys: stranger, serverKey: server.publicKey } });
    const failures: string[] = [];
    const good = new BatchSender(endpoint, { curve: { keys: worker, serverKey: server.publicKey }, onHandshakeFailed: (_e, m) => failures.push(m) });
    open.push(plain, unknown, good);
    plain.send(Buffer.from('from a plain client'));
    unknown.send(Buffer.from('from an unknown key'));
    good.send(Buffer.from('from the worker'));
    await eventually(() => received.length === 1 && asked.includes(stranger.publicKey) && r.refusedPeers >= 2, 'the handshakes');
    expect(received).toEqual(['from the worker']);
    expect(failures).toEqual([]);
    expect(refusedPeers.some((m) => /auth failure/.test(m))).toBe(true);
  });
});
