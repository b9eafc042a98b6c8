/**
 * The json serializer's exact integers: integers beyond 2^53 parse to bigints and bigints are
 * written as plain JSON integers; everything else parses and prints as JSON.parse and
 * JSON.stringify do. (A real Python json component is exercised in end-to-end.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../src/multilang/codec.js';
import { parseExact, parseJson, stringifyJson } from '../../src/multilang/json-exact.js';

const BIG = 1152921504606846976n; // 2^60

describe('parsing', () => {
  it('gives integers beyond 2^53 as exact bigints, safe integers and fractions as numbers', () => {
    expect(parseJson('{"tuple": [1152921504606846976, -9223372036854775808, 18446744073709551615]}')).toEqual({
      tuple: [BIG, -(2n ** 63n), 2n ** 64n - 1n],
    });
    expect(parseJson('[9007199254740991, -9007199254740991, 9007199254740992]')).toEqual([2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n]);
    // Not integers: doubles, as JSON.parse gives them.
    expect(parseJson('[1152921504606846976.0, 1.152921504606846976e18, 12345678901234567890e-3]')).toEqual([2 ** 60, 2 ** 60, Number('12345678901234567890e-3')]);
    // Digits inside a string are text.
    expect(parseJson('{"id": "1152921504606846976"}')).toEqual({ id: '1152921504606846976' });
  });

  it('agrees with JSON.parse on every text without big integers', () => {
    const texts = [
      '{}', '[]', '0', '-0', '1.5e-7', '"\\u00e9\\ud83d\\ude00\\n\\"\\\\"', 'true', 'false', 'null',
      ' { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "x\\/y" } ',
      '{"__proto__": 1, "constructor": {"prototype": 2}}',
      '{"a": 1, "a": 2}',
      '[1e400, -1e400, 123456789012345678901234567890.5]',
      '{"msg": "héllo ✓ 😀", "k": [[[[[]]]]]}',
    ];
    for (const t of texts) {
      const exact = parseExact(t);
      expect(exact, t).toEqual(JSON.parse(t));
      expect(Object.getPrototypeOf(exact ?? 0)).toBe(Object.getPrototypeOf(JSON.parse(t) ?? 0));
    }
    expect(Object.keys(parseExact('{"__proto__": 1}') as object)).toEqual(['__proto__']);
  });

  it('refuses what JSON.parse refuses, saying where', () => {
    for (const bad of ['', '[1,]', '{"a" 1}', '{"a":1,}', '01', '1.', '-', '1e', '"open', '[1] 2', 'nul', "{'a': 1}", '[1152921504606846976', '{"a": NaN}']) {
      expect(() => JSON.parse(bad) as unknown, bad).toThrow(SyntaxError);
      expect(() => parseExact(bad), bad).toThrow(SyntaxError);
    }
    expect(() => parseExact('[1152921504606846976,]')).toThrow(/at position 21/);
    expect(() => parseExact('['.repeat(5000) + ']'.repeat(5000))).toThrow(/nesting deeper than 1000/);
  });

  it('through the json decoder: a child message keeps its big integers', () => {
    const out: unknown[] = [];
    codecFor('json').createDecoder(1 << 20).push(Buffer.from('{"command": "emit", "tuple": [1152921504606846976, 7]}\nend\n'), out);
    expect(out).toEqual([{ command: 'emit', tuple: [BIG, 7] }]);
    expect(() => codecFor('json').createDecoder(1 << 20).push(Buffer.from('{"tuple": [1152921504606846976,]}\nend\n'), [])).toThrow(
      /not a JSON message \(expected a value|unexpected character/,
    );
  });
});

describe('writing', () => {
  it('writes bigints and integral doubles beyond 2^53 as the exact integers', () => {
    expect(stringifyJson({ tuple: [BIG, -(2n ** 63n), 1, 'x'] })).toBe('{"tuple":[1152921504606846976,-9223372036854775808,1,"x"]}');
    // JSON.stringify would write 1152921504606847000, another integer to Python.
    expect(JSON.stringify(2 ** 60)).toBe('1152921504606847000');
    expect(stringifyJson([2 ** 60, -(2 ** 60), 2 ** 53, 0.5, 1e21, 1e300])).toBe('[1152921504606846976,-1152921504606846976,9007199254740992,0.5,1e+21,1e+300]');
  });

  it('otherwise writes what JSON.stringify writes (toJSON, undefined, NaN, key order)', () => {
    const values: unknown[] = [
      { a: undefined, b: () => 1, c: [undefined, NaN, Infinity, null], d: new Date(0), e: { toJSON: () => 'j' }, 'ü"\n': 'x\u0000y' },
      ['\u0000int:5', '"quoted"', {}, []],
    ];
    for (const v of values) {
      expect(stringifyJson(v)).toBe(JSON.stringify(v));
      // The exact path keeps the same rules.
      expect(stringifyJson([v, 1n])).toBe(`[${JSON.stringify(v)},1]`);
    }
    expect(stringifyJson({ s: '\u0000int:5', n: 5n })).toBe('{"s":"\\u0000int:5","n":5}');
  });

  it('refuses bytes on both paths', () => {
    expect(() => stringifyJson({ tuple: [new Uint8Array([1])] })).toThrow(/cannot travel over the json serializer/);
    expect(() => stringifyJson({ tuple: [1n, new Uint8Array([1])] })).toThrow(/cannot travel over the json serializer/);
  });
});
