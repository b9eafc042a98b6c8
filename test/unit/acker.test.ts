import { describe, expect, it } from 'vitest';
import { ACKER_ACK_STREAM, ACKER_FAIL_STREAM, ACKER_INIT_STREAM, ACKER_RESET_TIMEOUT_STREAM, AckerBolt, TupleImpl } from 'squall/internal';
import { Fields, type OutputCollector, type Tuple, type Value } from 'squall';

type Sent = { task: number; stream: string; root: [number, number] };

function acker(): { bolt: AckerBolt; sent: Sent[] } {
  const sent: Sent[] = [];
  const collector = {
    emitDirect: (task: number, stream: string, values: Value[]) => {
      sent.push({ task, stream, root: [values[0] as number, values[1] as number] });
    },
  } as unknown as OutputCollector;
  const bolt = new AckerBolt();
  bolt.prepare({} as never, undefined, collector);
  return { bolt, sent };
}

const f = new Fields(['id-hi', 'id-lo', 'val-hi', 'val-lo', 'spout-task']);
const msg = (stream: string, ...values: Value[]): Tuple => new TupleImpl(values, f, 'c', stream, 1);
const tick = (): Tuple => new TupleImpl([30], new Fields(['s']), '__system', '__tick', -1);

describe('XOR acker', () => {
  // A 64-bit root id as int32 halves; 4-bit edges (in the high half too) keep the XOR readable.
  const [rHi, rLo] = [0x1eadbeef, 0x2afef00d];
  const root: [number, number] = [rHi, rLo];
  const edge = (n: number): [number, number] => [n << 8, n];
  const xor = (...es: [number, number][]): [number, number] => es.reduce(([h, l], [a, b]) => [h ^ a, l ^ b], [0, 0]);
  const [e1, e2, e3] = [edge(0x5), edge(0x3), edge(0xc)];
  const init = (e: [number, number], task: number) => msg(ACKER_INIT_STREAM, rHi, rLo, e[0], e[1], task);
  const ack = (e: [number, number]) => msg(ACKER_ACK_STREAM, rHi, rLo, e[0], e[1]);
  const fail = () => msg(ACKER_FAIL_STREAM, rHi, rLo);
  const reset = () => msg(ACKER_RESET_TIMEOUT_STREAM, rHi, rLo);

  it('acks the tree when every edge is acked, in any order', () => {
    const orders = [
      ['init', 'a', 'b', 'c'],
      ['c', 'b', 'init', 'a'],
      ['a', 'c', 'b', 'init'],
    ];
    for (const order of orders) {
      const { bolt, sent } = acker();
      // S emits T0 (e1); A acks T0 having emitted T1 (e2) and T2 (e3); B acks T1 and T2.
      const steps: Record<string, Tuple> = {
        init: init(e1, 4),
        a: ack(xor(e1, e2, e3)),
        b: ack(e2),
        c: ack(e3),
      };
      for (const s of order) bolt.execute(steps[s]!);
      expect(sent).toEqual([{ task: 4, stream: ACKER_ACK_STREAM, root }]);
      expect(bolt.pendingCount).toBe(0);
    }
  });

  it('does not report completion before the init arrives, even when acks XOR to zero', () => {
    const { bolt, sent } = acker();
    bolt.execute(ack(e1));
    bolt.execute(ack(e1));
    expect(sent).toEqual([]);
    bolt.execute(init([0, 0], 2));
    expect(sent).toEqual([{ task: 2, stream: ACKER_ACK_STREAM, root }]);
  });

  it('reports a failure to the spout task, also when the fail came before the init', () => {
    const a = acker();
    a.bolt.execute(init(e1, 3));
    a.bolt.execute(fail());
    expect(a.sent).toEqual([{ task: 3, stream: ACKER_FAIL_STREAM, root }]);

    const b = acker();
    b.bolt.execute(fail());
    expect(b.sent).toEqual([]);
    b.bolt.execute(init(e1, 3));
    expect(b.sent).toEqual([{ task: 3, stream: ACKER_FAIL_STREAM, root }]);
  });

  it('forwards a timeout reset to the spout and keeps the entry alive', () => {
    const { bolt, sent } = acker();
    bolt.execute(init(e1, 5));
    bolt.execute(tick());
    bolt.execute(tick());
    bolt.execute(reset());
    expect(sent).toEqual([{ task: 5, stream: ACKER_RESET_TIMEOUT_STREAM, root }]);
    bolt.execute(tick());
    bolt.execute(tick());
    expect(bolt.pendingCount).toBe(1);
    bolt.execute(ack(e1));
    expect(sent.at(-1)).toEqual({ task: 5, stream: ACKER_ACK_STREAM, root });
  });

  it('forgets a tree after three rotations', () => {
    const { bolt } = acker();
    bolt.execute(init(e1, 5));
    bolt.execute(tick());
    bolt.execute(tick());
    expect(bolt.pendingCount).toBe(1);
    bolt.execute(tick());
    expect(bolt.pendingCount).toBe(0);
  });
});
