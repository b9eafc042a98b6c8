/** How to log in to a NATS server that asks: the same fields wherever Squall connects to NATS. */
export interface NatsAuth {
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** A NATS credentials file (JWT and nkey seed), as `nsc` writes it. */
  readonly credsFile?: string;
  /** TLS: CA to trust, and a client certificate and key when the server asks for one. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

/**
 * Only the fields of `auth` that are set: plain data, to pass on to another process or component
 * (a worker's Trident metadata store, a spout) that connects with `natsConnectionAuth`.
 */
export function natsAuthOptions(auth: NatsAuth): NatsAuth {
  const out: { -readonly [K in keyof NatsAuth]: NatsAuth[K] } = {};
  if (auth.user !== undefined) out.user = auth.user;
  if (auth.pass !== undefined) out.pass = auth.pass;
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.credsFile !== undefined) out.credsFile = auth.credsFile;
  if (auth.tls !== undefined) out.tls = { ...auth.tls };
  return out;
}

/** True when `auth` logs in as someone (user, token, credentials or a client certificate). */
export function natsAuthEnabled(auth: NatsAuth): boolean {
  return auth.user !== undefined || auth.token !== undefined || auth.credsFile !== undefined || auth.tls?.certFile !== undefined;
}
