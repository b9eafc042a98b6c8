import { SquallError } from '../common/index.js';

/** The batch layer failed: metadata could not be read or written, a batch was driven out of order. */
export class TridentError extends SquallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRIDENT', message, options);
  }
}

/**
 * A spout and a state that together cannot give exactly-once (Storm's rule: transactional state
 * needs a transactional spout; opaque state takes transactional or opaque spouts; a
 * non-transactional spout only goes with non-transactional state).
 */
export class IncompatibleStateError extends SquallError {
  readonly spout: string;
  readonly state: string;

  constructor(spout: string, spoutType: string, state: string, stateType: string, advice: string) {
    super(
      'INCOMPATIBLE_STATE',
      `Trident spout '${spout}' is ${spoutType} and state '${state}' is ${stateType}: this cannot give exactly-once; ${advice}`,
    );
    this.spout = spout;
    this.state = state;
  }
}
