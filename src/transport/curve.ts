import { Router, curveKeyPair as zmqCurveKeyPair } from 'zeromq';

/**
 * ZeroMQ CURVE for the data plane: every receiver is a CURVE server with its own keypair, every
 * sender proves a keypair of its own, and a ZAP handler (ZeroMQ RFC 27) asks the receiver's
 * `authorize` whether that client key may deliver. Keys are Z85 text, as zeromq.js gives them.
 */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

export function curveKeyPair(): CurveKeyPair {
  return zmqCurveKeyPair();
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 text of a 32-byte key (the form ZAP hands over is binary). */
export function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    let v = (((bytes[i] ?? 0) << 24) >>> 0) + ((bytes[i + 1] ?? 0) << 16) + ((bytes[i + 2] ?? 0) << 8) + (bytes[i + 3] ?? 0);
    let chunk = '';
    for (let k = 0; k < 5; k++) {
      chunk = (Z85[v % 85] ?? '') + chunk;
      v = Math.floor(v / 85);
    }
    out += chunk;
  }
  return out;
}

/** Says whether a client's public key may deliver to a receiver; `address` is the client's IP. */
export type CurveAuthorizer = (clientKey: string, address: string) => boolean | Promise<boolean>;

/**
 * The process's ZAP handler: libzmq sends every CURVE handshake of this context to the socket
 * bound on inproc://zeromq.zap.01, and each receiver's ZAP domain says whose `authorize` decides.
 * Started with the first CURVE receiver and closed with the last.
 */
class ZapHandler {
  private readonly domains = new Map<string, CurveAuthorizer>();
  private router: Router | undefined;
  private ready: Promise<void> | undefined;
  private next = 0;

  async register(authorize: CurveAuthorizer): Promise<string> {
    const domain = `squall-${process.pid}-${++this.next}`;
    this.domains.set(domain, authorize);
    this.ready ??= this.start();
    await this.ready;
    return domain;
  }

  unregister(domain: string): void {
    this.domains.delete(domain);
    if (this.domains.size === 0 && this.router !== undefined) {
      this.router.close();
      this.router = undefined;
      this.ready = undefined;
    }
  }

  private async start(): Promise<void> {
    const router = (this.router = new Router());
    await router.bind('inproc://zeromq.zap.01');
    void this.serve(router);
  }

  private async serve(router: Router): Promise<void> {
    try {
      for await (const frames of router) void this.answer(router, frames);
    } catch {
      // Closed with the last receiver.
    }
  }

  /** Request: [routing id, '', version, request id, domain, address, identity, mechanism, key]. */
  private async answer(router: Router, frames: Buffer[]): Promise<void> {
    const [routingId, delimiter, version, requestId, domain, address, , mechanism, key] = frames;
    if (routingId === undefined || delimiter === undefined || version === undefined || requestId === undefined) return;
    const authorize = this.domains.get(domain?.toString() ?? '');
    let allowed = false;
    if (authorize !== undefined && mechanism?.toString() === 'CURVE' && key?.length === 32) {
      try {
        allowed = await authorize(z85Encode(key), address?.toString() ?? '');
      } catch {
        allowed = false;
      }
    }
    const status = allowed ? ['200', 'OK'] : ['400', 'this client key is not a worker of the topology'];
    try {
      await router.send([routingId, delimiter, version, requestId, ...status, '', '']);
    } catch {
      // The handler closed meanwhile; libzmq fails that handshake by itself.
    }
  }
}

export const zapHandler = new ZapHandler();
