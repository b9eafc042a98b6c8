export { BatchReceiver, BatchSender, TransportError } from './zeromq.js';
export type { BatchSenderOptions } from './zeromq.js';
