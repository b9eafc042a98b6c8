import { Pull, Push } from 'zeromq';
import { SquallError, describe } from '../common/index.js';
import { zapHandler, type CurveAuthorizer, type CurveKeyPair } from './curve.js';

/** The ZeroMQ events of a failed CURVE (or plain) handshake. */
const HANDSHAKE_ERRORS = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const;

/**
 * The data plane between workers: each worker binds one PULL socket on its slot and keeps a PUSH
 * socket per peer worker. Messages are whole batches (bytes); what is in them is the worker's
 * business. ZeroMQ reconnects by itself when a peer restarts or moves.
 */
export class TransportError extends SquallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSPORT', message, options);
  }
}

export interface BatchReceiverOptions {
  /**
   * While this returns true the receiver stops reading: batches wait in ZeroMQ, whose queues fill
   * up to the senders, whose producers then stop. @defaultValue never paused
   */
  readonly paused?: () => boolean;
  /** Batches ZeroMQ holds for this receiver before senders must wait. @defaultValue 64 */
  readonly highWaterMark?: number;
  /**
   * Called with what `onBatch` threw for a batch (anything on the port is untrusted: garbage, a
   * peer on another topology version): the batch is counted in `refused` and receiving goes on.
   * @defaultValue the error is only counted
   */
  readonly onRefused?: (error: unknown, batch: Uint8Array) => void;
  /**
   * CURVE: the receiver is a CURVE server with `keys`; plain clients fail the handshake, and a CURVE
   * client delivers only when `authorize` accepts its public key. @defaultValue plain (no CURVE)
   */
  readonly curve?: { readonly keys: CurveKeyPair; readonly authorize: CurveAuthorizer };
  /** Called when a client fails the handshake (no CURVE, a wrong server key, or not authorized). */
  readonly onRefusedPeer?: (reason: string, address: string) => void;
}

/** Receives batches on a bound endpoint and hands each to `onBatch`, in arrival order. */
export class BatchReceiver {
  private readonly socket: Pull;
  private closed = false;
  private loop: Promise<void> | undefined;
  endpoint = '';
  /** Batches `onBatch` refused (threw for) so far. */
  refused = 0;
  /** Handshakes failed so far (clients that may not deliver here). */
  refusedPeers = 0;
  private zapDomain: string | undefined;

  constructor(
    private readonly onBatch: (batch: Uint8Array) => void,
    private readonly options: BatchReceiverOptions = {},
  ) {
    this.socket = new Pull({ receiveHighWaterMark: options.highWaterMark ?? 64 });
    const onRefusedPeer = options.onRefusedPeer;
    for (const type of HANDSHAKE_ERRORS) {
      this.socket.events.on(type, (e) => {
        this.refusedPeers++;
        onRefusedPeer?.(`${type.slice('handshake:error:'.length)} failure: ${e.error.message}`, e.address);
      });
    }
  }

  /**
   * Binds (e.g. `tcp://10.0.0.5:6700`, or `tcp://[::1]:6700`) and starts receiving. A worker restarted on its slot may
   * find the port still held for a moment by the one it replaces, so "address in use" is retried
   * for up to `retryMs`.
   */
  async bind(endpoint: string, retryMs = 5000): Promise<string> {
    const deadline = Date.now() + retryMs;
    if (endpoint.startsWith('tcp://[')) this.socket.ipv6 = true;
    const curve = this.options.curve;
    if (curve !== undefined && this.zapDomain === undefined) {
      this.socket.curveServer = true;
      this.socket.curveSecretKey = curve.keys.secretKey;
      this.socket.curvePublicKey = curve.keys.publicKey;
      this.zapDomain = await zapHandler.register(curve.authorize);
      this.socket.zapDomain = this.zapDomain;
    }
    for (;;) {
      try {
        await this.socket.bind(endpoint);
        break;
      } catch (err) {
        const inUse = (err as { code?: unknown }).code === 'EADDRINUSE';
        if (!inUse || Date.now() >= deadline) {
          throw new TransportError(`cannot bind ${endpoint}: ${describe(err)}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.endpoint = this.socket.lastEndpoint ?? endpoint;
    this.loop = this.receive();
    return this.endpoint;
  }

  private async receive(): Promise<void> {
    const paused = this.options.paused;
    const onRefused = this.options.onRefused;
    try {
      while (!this.closed) {
        // Backpressure: leave batches in ZeroMQ while the executors here are full.
        while (paused?.() === true && !this.closed) await new Promise((r) => setTimeout(r, 1));
        const [frame] = await this.socket.receive();
        if (frame === undefined) continue;
        // One try per batch, not per tuple: a bad batch is refused whole and the loop goes on.
        try {
          this.onBatch(frame);
        } catch (err) {
          this.refused++;
          onRefused?.(err, frame);
        }
      }
    } catch (err) {
      if (!this.closed) throw new TransportError(`receiving on ${this.endpoint} failed: ${describe(err)}`, { cause: err });
    }
  }

  /** Stops receiving and releases the endpoint (so a restarted worker can bind it again at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // close() alone releases the port later, on ZeroMQ's I/O thread; unbind waits for it.
    if (this.endpoint !== '') {
      try {
        await this.socket.unbind(this.endpoint);
      } catch {
        // Already unbound: nothing to release.
      }
    }
    this.socket.close();
    if (this.zapDomain !== undefined) zapHandler.unregister(this.zapDomain);
    await this.loop?.catch(() => undefined);
  }
}

export interface BatchSenderOptions {
  /** Batches ZeroMQ may hold for a slow or absent peer before `send` waits. @defaultValue 64 */
  readonly highWaterMark?: number;
  /** Batches queued here beyond which `isBackpressured` is true. @defaultValue 64 */
  readonly maxQueued?: number;
  /**
   * Called when an established connection to the peer drops (the peer process died or closed):
   * whatever was in flight there is lost. ZeroMQ goes on reconnecting by itself.
   */
  readonly onPeerLost?: (endpoint: string) => void;
  /** CURVE: this sender's keypair and the receiver's public key. @defaultValue plain (no CURVE) */
  readonly curve?: { readonly keys: CurveKeyPair; readonly serverKey: string };
  /** Called when the receiver refuses the handshake (e.g. it restarted with a new key); ZeroMQ keeps retrying. */
  readonly onHandshakeFailed?: (endpoint: string, reason: string) => void;
}

/**
 * Sends batches to one peer. `send` never blocks the caller: batches queue while a send is in
 * flight (zeromq.js allows one at a time), and `isBackpressured` tells producers to stop while the
 * queue is long, so nothing is dropped and memory stays bounded.
 */
export class BatchSender {
  private readonly socket: Push;
  private readonly queue: Uint8Array[] = [];
  private sending = false;
  private closed = false;
  private readonly maxQueued: number;
  private drained: (() => void)[] = [];
  /** Batches handed to ZeroMQ so far. */
  sent = 0;

  constructor(
    readonly endpoint: string,
    options: BatchSenderOptions = {},
  ) {
    this.maxQueued = options.maxQueued ?? 64;
    const curve = options.curve;
    this.socket = new Push({
      sendHighWaterMark: options.highWaterMark ?? 64,
      linger: 0,
      immediate: false,
      ...(curve === undefined ? {} : { curveServerKey: curve.serverKey, curvePublicKey: curve.keys.publicKey, curveSecretKey: curve.keys.secretKey }),
    });
    if (endpoint.startsWith('tcp://[')) this.socket.ipv6 = true;
    const onPeerLost = options.onPeerLost;
    if (onPeerLost !== undefined) this.socket.events.on('disconnect', () => onPeerLost(endpoint));
    const onHandshakeFailed = options.onHandshakeFailed;
    if (onHandshakeFailed !== undefined) {
      for (const type of HANDSHAKE_ERRORS) {
        this.socket.events.on(type, (e) => onHandshakeFailed(endpoint, e.error.message));
      }
    }
    this.socket.connect(endpoint);
  }

  get queued(): number {
    return this.queue.length;
  }

  get isBackpressured(): boolean {
    return this.queue.length >= this.maxQueued;
  }

  send(batch: Uint8Array): void {
    if (this.closed) throw new TransportError(`sender to ${this.endpoint} is closed`);
    this.queue.push(batch);
    if (!this.sending) void this.pump();
  }

  /** Resolves when every queued batch has been handed to ZeroMQ. */
  flushed(): Promise<void> {
    if (this.queue.length === 0 && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      for (let batch = this.queue.shift(); batch !== undefined; batch = this.queue.shift()) {
        await this.socket.send(batch);
        this.sent++;
      }
    } catch (err) {
      // Only a closed socket fails a send; queued batches are then lost with their worker, and
      // the tuples in them time out and replay through acking.
      if (!this.closed) throw new TransportError(`sending to ${this.endpoint} failed: ${describe(err)}`, { cause: err });
    } finally {
      this.sending = false;
      const waiting = this.drained;
      this.drained = [];
      for (const w of waiting) w();
    }
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}
