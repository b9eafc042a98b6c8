export { createGrouper } from './groupers.js';
export type { Grouper, GrouperOptions } from './groupers.js';
export { hashFields, hashValue } from './hash.js';
