export { BatchReceiver, BatchSender, TransportError } from './zeromq.js';
export type { BatchReceiverOptions, BatchSenderOptions } from './zeromq.js';
export { curveKeyPair, type CurveAuthorizer, type CurveKeyPair } from './curve.js';
