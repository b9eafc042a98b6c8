import { afterEach, describe, expect, it } from 'vitest';
import { BatchReceiver, BatchSender } from '../../src/transport/index.js';
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
});
