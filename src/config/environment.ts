/**
 * The environment, read in one place: the only module of the library that looks at
 * `process.env`. Each resource has one name: `SQUALL_NATS` (NATS URLs, comma-separated) and
 * `SQUALL_REDIS` (a Redis URL). `SQUALL_REDIS_URL`, which the Trident example once read, is still
 * accepted with a deprecation warning. The daemons' own variables are in `daemon-config.ts`,
 * which takes the environment from the CLI.
 */

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The environment variables Squall reads, by resource. */
export const ENV = { nats: 'SQUALL_NATS', redis: 'SQUALL_REDIS' } as const;
const DEPRECATED: Readonly<Record<string, keyof typeof ENV>> = { SQUALL_REDIS_URL: 'redis' };

/** A server list as given anywhere (flag, file, environment, config): one comma-separated string or a list. */
export function parseServers(raw: string | readonly string[]): string[] {
  const list = typeof raw === 'string' ? raw.split(',') : [...raw];
  return list.map((s) => String(s).trim()).filter((s) => s.length > 0);
}

export interface SquallEnvironment {
  readonly nats?: string;
  readonly redis?: string;
}

/**
 * The resources `env` names; an empty variable counts as unset. A deprecated name is used only
 * when the current one is unset, and `warn` says so.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void): SquallEnvironment {
  const out: { nats?: string; redis?: string } = {};
  for (const [resource, name] of Object.entries(ENV) as [keyof typeof ENV, string][]) {
    const v = env[name];
    if (v !== undefined && v !== '') out[resource] = v;
  }
  for (const [old, resource] of Object.entries(DEPRECATED)) {
    const v = env[old];
    if (v === undefined || v === '') continue;
    warn(`${old} is deprecated: set ${ENV[resource]} instead${out[resource] === undefined ? '' : ` (${old} is ignored, ${ENV[resource]} is set)`}`);
    out[resource] ??= v;
  }
  return out;
}

let current: SquallEnvironment | undefined;

/** This process's environment, read once (so a deprecation is reported once). */
export function processEnvironment(): SquallEnvironment {
  current ??= readEnvironment(process.env, (m) => process.emitWarning(m, { type: 'DeprecationWarning', code: 'SQUALL_DEPRECATED_ENV' }));
  return current;
}

/** NATS servers when none are configured: `SQUALL_NATS`, else nats://127.0.0.1:4222. */
export function defaultNatsServers(): string[] {
  return parseServers(processEnvironment().nats ?? DEFAULT_NATS_URL);
}

/** The Redis URL when none is configured: `SQUALL_REDIS`, else redis://127.0.0.1:6379. */
export function defaultRedisUrl(): string {
  return processEnvironment().redis ?? DEFAULT_REDIS_URL;
}

/** Where NATS is: explicit servers, else `SQUALL_NATS` (comma-separated), else the default. */
export function natsServers(servers?: string | readonly string[]): string[] {
  return servers === undefined ? defaultNatsServers() : parseServers(servers);
}
