import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ApiOperation, ApiReply } from '../protocol/cluster-records.js';
import { natsServers } from '../config/index.js';
import { connectNats, requestApi, type ClusterConnectOptions } from './cluster-state.js';

/**
 * What the cluster commands need: the coordinator's API and, for `submit`, the package store. It
 * opens no bucket until asked, so a user whose NATS permissions allow only `<prefix>.api.list`
 * (and replies) can run `squall list` (see "NATS permissions" in ARCHITECTURE.md).
 */
export class ClusterClient {
  private packages: Promise<ObjectStore> | undefined;

  private constructor(
    readonly connection: NatsConnection,
    readonly prefix: string,
    readonly servers: readonly string[],
  ) {}

  static async connect(options: ClusterConnectOptions = {}): Promise<ClusterClient> {
    return new ClusterClient(await connectNats(options), options.bucketPrefix ?? 'squall', natsServers(options.servers));
  }

  request(op: ApiOperation, args: Record<string, unknown>, timeoutMs = 30_000): Promise<ApiReply> {
    return requestApi(this.connection, this.prefix, this.servers, op, args, timeoutMs);
  }

  private packageStore(): Promise<ObjectStore> {
    this.packages ??= new Objm(this.connection).create(`${this.prefix}_packages`);
    return this.packages;
  }

  async putPackage(id: string, bytes: Uint8Array): Promise<void> {
    await (await this.packageStore()).putBlob({ name: id }, bytes);
  }

  async deletePackage(id: string): Promise<void> {
    await (await this.packageStore()).delete(id);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
