export {
  validateTopologySpec,
  systemTopology,
  computeTaskIds,
  splitIntoExecutors,
  CHECKPOINT_COMPONENT,
  CHECKPOINT_STREAM,
  CHECKPOINT_FIELDS,
  TopologySpecSchema,
} from './topology-spec.js';
export type {
  TopologySpec,
  ComponentSpec,
  StreamSpec,
  InputSpec,
  GroupingSpec,
  GroupingType,
} from './topology-spec.js';
export { encodeValues, decodeValues } from './values-codec.js';
