export { Supervisor } from './supervisor.js';
export type { SupervisorOptions } from './supervisor.js';
