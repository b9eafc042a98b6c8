/**
 * The wire: msgpack framing across arbitrary chunk boundaries, the size cap, garbage detection,
 * Storm's json framing, and the hand-written msgpack writer/reader checked against msgpackr and
 * against Python's msgpack (a real python3 subprocess).
 */
import { execFileSync } from 'node:child_process';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { codecFor, widenInts } from '../../src/multilang/codec.js';
import { WireError } from '../../src/multilang/errors.js';
import { MsgpackReader, MsgpackWriter } from '../../src/multilang/msgpack-fast.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'bigint' });

const VALUES: unknown[] = [
  '',
  'ascii',
  'x'.repeat(31),
  'y'.repeat(32),
  'z'.repeat(300),
  'w'.repeat(70_000),
  'héllo wörld ✓ 😀',
  0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 1763744400000, 2 ** 53 - 1,
  -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53 - 1),
  0.5, -1.25, 1e300, Number.MAX_VALUE,
  2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 60n,
  true, false, null,
  new Uint8Array([0, 1, 2, 255]),
  new Uint8Array(300).fill(7),
  [], {}, [1, [2, [3, ['deep']]]], { a: 1, b: { c: [true, null, 'x'] }, 'ünï': 'ok' },
  Array.from({ length: 20 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
];

/** What a decoder gives back for a value: bigints within 2^53 as numbers, bytes as Uint8Array. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? Number(v) : v;
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(normal);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)]));
  return v;
}

describe('msgpack framing', () => {
  const messages = [
    { command: 'emit', anchors: ['1'], tuple: ['the', 1] },
    { command: 'batch', messages: Array.from({ length: 300 }, (_, i) => ({ command: 'ack', id: String(i) })) },
    { command: 'log', msg: 'x'.repeat(70_000), level: 2 },
    { command: 'emit', tuple: VALUES.filter((v) => typeof v !== 'bigint') },
    { command: 'sync' },
  ];
  const stream = Buffer.concat(messages.map((m) => packr.pack(m)));

  it.each([1, 2, 3, 7, 64, 1000, 65536, stream.length])('decodes messages split into %i-byte chunks', (size) => {
    const codec = codecFor('msgpack');
    const decoder = codec.createDecoder(1 << 20);
    const out: unknown[] = [];
    for (let i = 0; i < stream.length; i += size) decoder.push(stream.subarray(i, i + size), out);
    expect(out.map((f) => normal(codec.decodeFrame(f)))).toEqual(messages.map(normal));
  });

  it('refuses a message over the cap as soon as its header says so', () => {
    const decoder = codecFor('msgpack').createDecoder(1000);
    // A map whose str32 value claims 100 MB: refused from its first 20 bytes.
    const head = Buffer.from([0x81, 0xa3, 0x6d, 0x73, 0x67, 0xdb, 0x05, 0xf5, 0xe1, 0x00, 0x61, 0x61]);
    expect(() => decoder.push(head, [])).toThrow(/a message of at least \d+ bytes exceeds the limit of 1000 bytes/);
  });

  it('refuses a message that grows over the cap across chunks', () => {
    const decoder = codecFor('msgpack').createDecoder(1000);
    const big = packr.pack({ command: 'emit', tuple: Array.from({ length: 400 }, (_, i) => i * 1000) });
    let error: unknown;
    try {
      for (let i = 0; i < big.length; i += 100) decoder.push(big.subarray(i, i + 100), []);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).kind).toBe('oversized');
  });

  it('says what is on stdout when it is not msgpack maps', () => {
    const decoder = codecFor('msgpack').createDecoder(1 << 20);
    const out: unknown[] = [];
    const good = packr.pack({ command: 'sync' });
    expect(() => decoder.push(Buffer.concat([good, Buffer.from('Hello from print()\n')]), out)).toThrow(
      /stdout holds something other than protocol messages \(maps\): "Hello from print\(\)\\n"; a component must not print to stdout/,
    );
    // The message before the garbage was still delivered.
    expect(out).toHaveLength(1);
    expect(() => codecFor('msgpack').createDecoder(100).push(Buffer.from([0x81, 0xc1]), [])).toThrow(/0xc1/);
  });
});

describe('json framing (Storm)', () => {
  it('joins lines until "end", across chunks, skipping blank lines, tolerating \\r', () => {
    const text = '\n{"command": "emit",\n "tuple": ["a"]}\nend\n\n\r\n{"command":"sync"}\r\nend\r\n{"command":"log","msg":"end of it"}\nend\n';
    const bytes = Buffer.from(text);
    for (const size of [1, 5, bytes.length]) {
      const codec = codecFor('json');
      const decoder = codec.createDecoder(1 << 20);
      const out: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) decoder.push(bytes.subarray(i, i + size), out);
      expect(out).toEqual([{ command: 'emit', tuple: ['a'] }, { command: 'sync' }, { command: 'log', msg: 'end of it' }]);
    }
  });

  it('keeps multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('{"command":"log","msg":"😀✓é"}\nend\n');
    const decoder = codecFor('json').createDecoder(1 << 20);
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1), out);
    expect(out).toEqual([{ command: 'log', msg: '😀✓é' }]);
  });

  it('refuses garbage, non-maps and oversized messages', () => {
    expect(() => codecFor('json').createDecoder(1 << 20).push(Buffer.from('oops\nend\n'), [])).toThrow(/not a JSON message .*"oops"/);
    expect(() => codecFor('json').createDecoder(1 << 20).push(Buffer.from('[1,2]\nend\n'), [])).toThrow(/protocol messages \(maps\)/);
    expect(() => codecFor('json').createDecoder(10).push(Buffer.from('{"command": "sync", "pad": 1}\nend\n'), [])).toThrow(/exceeds the limit of 10 bytes/);
  });

  it('writes Storm framing, bigints as exact integers, and refuses bytes', () => {
    expect(codecFor('json').encode({ id: '1', tuple: [2n ** 63n - 1n, 1] }).toString()).toBe('{"id":"1","tuple":[9223372036854775807,1]}\nend\n');
    expect(() => codecFor('json').encode({ tuple: [new Uint8Array([1])] })).toThrow(/cannot travel over the json serializer/);
  });
});

describe('the fast msgpack writer and reader', () => {
  it('round-trip every kind of value, and agree with msgpackr', () => {
    const w = new MsgpackWriter();
    const r = new MsgpackReader();
    for (const v of VALUES) {
      w.value(v);
      const bytes = Buffer.from(w.take());
      r.reset(bytes);
      expect(normal(r.value()), `reader, ${String(v).slice(0, 20)}`).toEqual(normal(v));
      expect(r.pos).toBe(bytes.length);
      expect(normal(packr.unpack(bytes)), `msgpackr, ${String(v).slice(0, 20)}`).toEqual(normal(v));
      // And what msgpackr writes, the reader reads.
      r.reset(packr.pack(v));
      expect(normal(r.value())).toEqual(normal(v));
    }
  });

  it('write what Python reads as the same values: large integers stay integers', () => {
    const w = new MsgpackWriter();
    const values = [1763744400000, -(2 ** 40), 2n ** 63n - 1n, 'héllo', 0.5, true, null, [1, 'a'], { k: 2 ** 33 }];
    w.value(values);
    const bytes = w.take();
    const py = execFileSync(
      'python3',
      ['-c', 'import sys, json, msgpack; v = msgpack.unpackb(sys.stdin.buffer.read(), raw=False); print(json.dumps(v)); print(json.dumps([type(x).__name__ for x in v]))'],
      { input: bytes },
    )
      .toString()
      .trim()
      .split('\n');
    expect(py[0]).toBe('[1763744400000, -1099511627776, 9223372036854775807, "h\\u00e9llo", 0.5, true, null, [1, "a"], {"k": 8589934592}]');
    expect(JSON.parse(py[1] as string)).toEqual(['int', 'int', 'int', 'str', 'float', 'bool', 'NoneType', 'list', 'dict']);
  });

  it('reads the ids the host made as numbers, anything else as it is', () => {
    const r = new MsgpackReader();
    r.reset(packr.pack(['12345', 'abc', 7, '']));
    expect(r.arrayHeader()).toBe(4);
    expect([r.id(), r.id(), r.id(), r.id()]).toEqual([12345, 'abc', 7, '']);
  });

  it('throws a WireError on truncated input instead of reading past the end', () => {
    const bytes = packr.pack({ command: 'emit', tuple: ['abcdef', 1, 2, 3] });
    const r = new MsgpackReader();
    r.reset(bytes.subarray(0, bytes.length - 3));
    expect(() => r.value()).toThrow(WireError);
  });
});

it('widenInts turns integers past 32 bits into bigints (int64 on the wire), and copies only then', () => {
  const small = ['a', 1, -5, 1.5, [2, { x: 3 }]];
  expect(widenInts(small)).toBe(small);
  expect(widenInts([1, 2 ** 40, { t: -(2 ** 35) }])).toEqual([1, 2n ** 40n, { t: -(2n ** 35n) }]);
});

it("groupings carry Storm's Thrift names in the handshake context (global = fields on no fields)", async () => {
  const { stormGrouping } = await import('../../src/multilang/context.js');
  expect(stormGrouping({ type: 'global' })).toEqual({ type: 'FIELDS', fields: [] });
  expect(stormGrouping({ type: 'fields', fields: ['a', 'b'] })).toEqual({ type: 'FIELDS', fields: ['a', 'b'] });
  expect(stormGrouping({ type: 'all' })).toEqual({ type: 'ALL' });
  expect(stormGrouping({ type: 'none' })).toEqual({ type: 'NONE' });
  expect(stormGrouping({ type: 'localOrShuffle' })).toEqual({ type: 'LOCAL_OR_SHUFFLE' });
  expect(stormGrouping({ type: 'partialKey', fields: ['a'] })).toEqual({ type: 'CUSTOM_SERIALIZED' });
  expect(stormGrouping({ type: 'custom', name: 'x' })).toEqual({ type: 'CUSTOM_SERIALIZED' });
});
