/** How to log in to a NATS server that asks: the same fields wherever Squall connects to NATS. */
export interface NatsAuth {
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** TLS: CA to trust, and a client certificate and key when the server asks for one. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

/** Only the fields of `auth` that are set, ready to spread into NATS connection options. */
export function natsAuthOptions(auth: NatsAuth): NatsAuth {
  const out: { -readonly [K in keyof NatsAuth]: NatsAuth[K] } = {};
  if (auth.user !== undefined) out.user = auth.user;
  if (auth.pass !== undefined) out.pass = auth.pass;
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.tls !== undefined) out.tls = { ...auth.tls };
  return out;
}
