export { Coordinator, NoFreeSlotsError } from './coordinator.js';
export type { CoordinatorOptions, ClusterListing, TopologyListing } from './coordinator.js';
export { executorsOf, freeSlots, pickSlots, spread, reassignLost, respread } from './scheduler.js';
export type { FreeSlot } from './scheduler.js';
