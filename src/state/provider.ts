import { ConfigError } from '../common/index.js';
import { ackerCount, defaultRedisUrl, type TopologyConfig } from '../config/index.js';
import { MemoryStateStore } from './memory-store.js';
import { RedisStateStore } from './redis-store.js';
import type { StateStore } from './store.js';

const DEFAULT_KEY_PREFIX = 'squall:';
const PROVIDER_CONFIG = 'topology.state.provider.config';

interface ProviderSettings {
  readonly url: string;
  readonly keyPrefix: string;
}

function settings(config: TopologyConfig): ProviderSettings {
  // Typed in the interface, but it comes from the user: check what is really there.
  const c = (config[PROVIDER_CONFIG] ?? {}) as Readonly<Record<string, unknown>>;
  const url = c.url ?? defaultRedisUrl();
  const keyPrefix = c.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new ConfigError(PROVIDER_CONFIG, `url must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (typeof keyPrefix !== 'string') throw new ConfigError(PROVIDER_CONFIG, `keyPrefix must be a string, got ${JSON.stringify(keyPrefix)}`);
  return { url, keyPrefix };
}

/**
 * The namespace of one task's state: `<keyPrefix><topology>:<component>:<task index>`. The task's
 * index among its component's tasks, not its global id, so adding another component to the
 * topology does not move anyone's state.
 */
export function stateNamespace(config: TopologyConfig, topology: string, component: string, taskIndex: number): string {
  return `${settings(config).keyPrefix}${topology}:${component}:${taskIndex}`;
}

/** The store the configuration chooses (`topology.state.provider`) for `namespace`. */
export function openStateStore(config: TopologyConfig, namespace: string): StateStore {
  const provider = config['topology.state.provider'];
  switch (provider) {
    case 'memory':
      return new MemoryStateStore(namespace);
    case 'redis':
      return new RedisStateStore(namespace, settings(config).url);
    default:
      throw new ConfigError('topology.state.provider', `unknown provider ${JSON.stringify(provider)}`);
  }
}

/**
 * Checks what checkpointing needs of a topology with stateful bolts: acking on (checkpoints are
 * tracked tuples, and acks are held until commit), an interval shorter than the message timeout
 * (held tuples would otherwise time out before the commit that releases them), and provider
 * settings of the right shape.
 */
export function validateStateConfig(config: TopologyConfig): void {
  if (ackerCount(config) === 0) {
    throw new ConfigError(
      'topology.acker.executors',
      'a topology with stateful bolts needs acking (checkpoints are tracked tuples and acks are held until commit): set it to 1 or more, or leave it null',
    );
  }
  const interval = config['topology.state.checkpoint.interval.ms'];
  const timeoutSecs = config['topology.message.timeout.secs'];
  if (config['topology.enable.message.timeouts'] && interval >= timeoutSecs * 1000) {
    throw new ConfigError(
      'topology.state.checkpoint.interval.ms',
      `must be shorter than the message timeout (topology.message.timeout.secs = ${timeoutSecs}, i.e. ${timeoutSecs * 1000} ms), got ${interval}: stateful bolts hold acks until the next commit, so tuples would time out first`,
    );
  }
  settings(config);
}
