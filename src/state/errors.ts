import { SquallError } from '../common/index.js';

/** A state store failed, or was driven out of order (a commit of a txid that was never prepared). */
export class StateError extends SquallError {
  readonly namespace: string;

  constructor(namespace: string, message: string, options?: { cause?: unknown }) {
    super('STATE', `State '${namespace}': ${message}`, options);
    this.namespace = namespace;
  }
}
