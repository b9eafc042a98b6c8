export { TupleBatch, decodeTupleBatch } from './tuple-batch.js';
