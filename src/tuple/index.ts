export * from './constants.js';
export { Fields } from './fields.js';
export { TupleImpl, rootCount, rootHi, rootLo, edgeHi, edgeLo, singleRootId, pushRoot, findRoot, xorEdge } from './tuple.js';
export type { Tuple, Value, Values } from './tuple.js';
export { unserializableReason, isValue, MAX_VALUE_DEPTH } from './values-check.js';
