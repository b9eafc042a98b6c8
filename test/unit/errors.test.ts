import { describe, expect, it } from 'vitest';
import * as root from 'squall';
import * as internal from 'squall/internal';
import * as testing from 'squall/testing';
import { WireError } from '../../src/multilang/errors.js';

/** One way to build each error class; a class exported without an entry here fails the test. */
const MAKE: Record<string, (C: new (...args: never[]) => Error) => Error> = {
  SquallError: (C) => new (C as typeof root.SquallError)('CLUSTER', 'x'),
  InvalidTopologyError: (C) => new (C as typeof root.InvalidTopologyError)([{ component: 'c', message: 'x' }]),
  ConfigError: (C) => new (C as typeof root.ConfigError)('topology.workers', 'x'),
  InvalidTupleError: (C) => new (C as typeof root.InvalidTupleError)('c', 'default', 'x'),
  TopologyLoadError: (C) => new (C as typeof root.TopologyLoadError)('t.ts', 'x'),
  NotAliveError: (C) => new (C as typeof root.NotAliveError)('t'),
  AlreadyAliveError: (C) => new (C as typeof root.AlreadyAliveError)('t'),
  FailedError: (C) => new (C as typeof root.FailedError)(),
  ReportedFailedError: (C) => new (C as typeof root.ReportedFailedError)(),
  ComponentError: (C) => new (C as typeof root.ComponentError)('c', 1, 'execute', new Error('x')),
  MultilangError: (C) => new (C as typeof root.MultilangError)({ kind: 'exit', component: 'c', task: 1, pid: undefined }, 'x'),
  StateError: (C) => new (C as typeof root.StateError)('ns', 'x'),
  TridentError: (C) => new (C as typeof root.TridentError)('x'),
  IncompatibleStateError: (C) => new (C as typeof root.IncompatibleStateError)('s', 'opaque', 'st', 'transactional', 'x'),
  ClusterError: (C) => new (C as typeof root.ClusterError)('x'),
  PackageError: (C) => new (C as typeof root.PackageError)('x'),
  RecordError: (C) => new (C as typeof root.RecordError)('topology', 'x'),
  TransportError: (C) => new (C as typeof root.TransportError)('x'),
  NoFreeSlotsError: (C) => new (C as typeof root.NoFreeSlotsError)('x'),
};

function errorClasses(mod: Record<string, unknown>): [string, new (...args: never[]) => Error][] {
  return Object.entries(mod).filter(
    (e): e is [string, new (...args: never[]) => Error] => typeof e[1] === 'function' && (e[1] === Error || (e[1] as { prototype: unknown }).prototype instanceof Error),
  );
}

describe('error classes', () => {
  const exported = [...errorClasses(root), ...errorClasses(internal), ...errorClasses(testing)];

  it('every exported error class is a SquallError with a known code', () => {
    expect(exported.length).toBeGreaterThanOrEqual(Object.keys(MAKE).length);
    for (const [name, C] of exported) {
      const make = MAKE[name];
      expect(make, `no example for exported error class ${name}`).toBeDefined();
      const err = make!(C);
      expect(err, name).toBeInstanceOf(root.SquallError);
      expect(root.errorCodes, name).toContain((err as root.SquallError).code);
      expect(root.isSquallError(err), name).toBe(true);
      expect(err.name, name).toBe(name);
    }
  });

  it('`errors` holds every error class the package root exports', () => {
    const fromRoot = errorClasses(root).map(([name]) => name).sort();
    expect(Object.keys(root.errors).sort()).toEqual(fromRoot);
  });

  it('the multilang wire error carries a code too', () => {
    const err = new WireError('decode', 'bad bytes');
    expect(root.isSquallError(err, 'MULTILANG')).toBe(true);
  });

  it('API misuse throws a SquallError naming what is wrong', () => {
    const b = new root.TopologyBuilder();
    b.setSpout('s', class extends root.BaseRichSpout {
      override nextTuple(): void {}
      override declareOutputFields(d: root.OutputFieldsDeclarer): void {
        d.declare(['x']);
      }
    });
    const t = b.createTopology();
    expect(() => t.createComponent('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: "No component 'nope' in this topology" }));
    expect(() => t.withExecutors({ s: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_TOPOLOGY' }));
  });
});
