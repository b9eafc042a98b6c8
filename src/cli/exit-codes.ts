import { isSquallError, type ErrorCode } from '../common/index.js';

/**
 * The exit code of every `squall` command, from the code of the error that ended it (README, CLI):
 * 1 anything unexpected, 2 the topology file cannot be loaded, 3 an invalid topology or
 * configuration, 4 NATS or the coordinator cannot be reached, 5 the cluster refuses (unknown
 * topology, name in use, no free slot). Keyed by every code, so a new code needs a decision here.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, 1 | 2 | 3 | 4 | 5>> = {
  TOPOLOGY_LOAD: 2,
  INVALID_TOPOLOGY: 3,
  INVALID_CONFIG: 3,
  INCOMPATIBLE_STATE: 3,
  CLUSTER: 4,
  NOT_ALIVE: 5,
  ALREADY_ALIVE: 5,
  NO_FREE_SLOTS: 5,
  INVALID_TUPLE: 1,
  INVALID_ARGUMENT: 1,
  FAILED: 1,
  REPORTED_FAILED: 1,
  COMPONENT_ERROR: 1,
  SERIALIZATION: 1,
  MULTILANG: 1,
  STATE: 1,
  SHUTDOWN: 1,
  TRANSPORT: 1,
  INVALID_RECORD: 1,
  TRIDENT: 1,
  TIMEOUT: 1,
  SIMULATED_TIME: 1,
};

/** The exit code for whatever a command failed with: 1 when it is not a Squall error. */
export function exitCodeOf(err: unknown): number {
  return isSquallError(err) ? EXIT_CODES[err.code] : 1;
}
