export { AckerBolt } from './acker-bolt.js';
