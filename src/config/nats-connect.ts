import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { ConfigError, describe } from '../common/index.js';
import { natsAuthOptions, type NatsAuth } from './nats-auth.js';

// Apart from nats-auth.ts so that only what connects to NATS loads the NATS client.

/** The NATS connection options of `auth`, the credentials file read into an authenticator. */
export function natsConnectionAuth(auth: NatsAuth): Partial<NodeConnectionOptions> {
  const { credsFile, ...rest } = natsAuthOptions(auth);
  if (credsFile === undefined) return rest;
  let creds: Uint8Array;
  try {
    creds = readFileSync(credsFile);
  } catch (err) {
    throw new ConfigError('nats.creds', `cannot read the NATS credentials file ${credsFile}: ${describe(err)}`, { cause: err });
  }
  return { ...rest, authenticator: credsAuthenticator(creds) };
}

/** The options every Squall NATS connection uses: reconnect forever, quickly, with `auth`'s credentials. */
export function natsConnectOptions(servers: readonly string[], name: string, auth: NatsAuth): NodeConnectionOptions {
  return { servers: [...servers], name, maxReconnectAttempts: -1, reconnectTimeWait: 250, ...natsConnectionAuth(auth) };
}
