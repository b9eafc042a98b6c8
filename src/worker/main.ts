#!/usr/bin/env node
/**
 * Worker process entry, started by a supervisor (or a test) by path:
 *   node dist/worker/main.js --topology <name> --supervisor <id> --port <n> [--host <h>] [--nats <url>] [--code-dir <dir>] [--bucket-prefix <p>] [--curve]
 * A supervisor passes its NATS settings (credentials included) in the environment variable
 * SQUALL_WORKER_CLUSTER as JSON rather than on the command line, where `ps` would show them.
 * Started with an IPC channel, the worker beats over it every poll and stops when it closes (its
 * supervisor is gone).
 */
import { parseArgs } from 'node:util';
import type { ClusterConnectOptions } from '../cluster/index.js';
import { describe } from '../common/index.js';
import { Worker } from './worker-process.js';

const { values } = parseArgs({
  options: {
    topology: { type: 'string' },
    supervisor: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    nats: { type: 'string' },
    'code-dir': { type: 'string' },
    'bucket-prefix': { type: 'string' },
    curve: { type: 'boolean' },
  },
});
if (values.topology === undefined || values.supervisor === undefined || values.port === undefined) {
  process.stderr.write('usage: worker --topology <name> --supervisor <id> --port <n> [--host <h>] [--nats <url>] [--code-dir <dir>] [--bucket-prefix <p>] [--curve]\n');
  process.exit(2);
}
let cluster: ClusterConnectOptions = {};
const fromSupervisor = process.env.SQUALL_WORKER_CLUSTER;
if (fromSupervisor !== undefined) {
  try {
    cluster = JSON.parse(fromSupervisor) as ClusterConnectOptions;
  } catch (err) {
    process.stderr.write(`worker: SQUALL_WORKER_CLUSTER is not JSON: ${describe(err)}\n`);
    process.exit(2);
  }
}
const exitWhenStopped = (code: number) => (): void => process.exit(code);
const worker = new Worker({
  topology: values.topology,
  supervisor: values.supervisor,
  port: Number(values.port),
  ...(values.host === undefined ? {} : { host: values.host }),
  ...(values['code-dir'] === undefined ? {} : { codeDir: values['code-dir'] }),
  cluster: {
    ...cluster,
    ...(values.nats === undefined ? {} : { servers: values.nats }),
    ...(values['bucket-prefix'] === undefined ? {} : { bucketPrefix: values['bucket-prefix'] }),
  },
  curve: values.curve === true,
  onBeat: () => process.send?.({ beat: Date.now() }),
  onRetired: exitWhenStopped(0),
});
const stop = (): void => {
  worker.stop().then(exitWhenStopped(0), (err: unknown) => {
    process.stderr.write(`worker: ${describe(err)}\n`);
    process.exit(1);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The supervisor owns its workers: when it goes, so do they (a new one starts them again).
process.once('disconnect', stop);
try {
  await worker.start();
  process.send?.({ beat: Date.now() });
} catch (err) {
  process.stderr.write(`worker: ${describe(err)}\n`);
  process.exit(1);
}
