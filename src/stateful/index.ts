export { StatefulBoltExecutor, CheckpointTupleForwarder, withCheckpointing } from './stateful-bolt-executor.js';
export { CheckpointSpout, CHECKPOINT_ACTIONS, nextCheckpointAction, nextCheckpointState } from './checkpoint-spout.js';
export type { CheckpointAction, CheckpointState } from './checkpoint-spout.js';
