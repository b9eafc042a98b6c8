/** Stream and component ids with a meaning to the runtime, as in Storm's `Constants`. */
export const DEFAULT_STREAM = 'default';
export const SYSTEM_COMPONENT = '__system';
export const SYSTEM_TASK = -1;
export const TICK_STREAM = '__tick';
export const ACKER_COMPONENT = '__acker';
export const ACKER_INIT_STREAM = '__ack_init';
export const ACKER_ACK_STREAM = '__ack_ack';
export const ACKER_FAIL_STREAM = '__ack_fail';
export const ACKER_RESET_TIMEOUT_STREAM = '__ack_reset_timeout';

/** Ids starting with this are reserved for the system. */
export const RESERVED_PREFIX = '__';
