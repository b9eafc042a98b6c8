export { WindowedBoltExecutor } from './windowed-bolt-executor.js';
export { WindowState, WindowView } from './window-state.js';
export type { WindowEngineOptions, WindowListener } from './window-state.js';
