#!/usr/bin/env node
/**
 * Worker process entry, started by a supervisor (or a test) by path:
 *   node dist/worker/main.js --topology <name> --supervisor <id> --port <n> [--nats <url>] [--code-dir <dir>] [--bucket-prefix <p>]
 */
import { parseArgs } from 'node:util';
import { describe } from '../common/index.js';
import { Worker } from './worker-process.js';

const { values } = parseArgs({
  options: {
    topology: { type: 'string' },
    supervisor: { type: 'string' },
    port: { type: 'string' },
    nats: { type: 'string' },
    'code-dir': { type: 'string' },
    'bucket-prefix': { type: 'string' },
  },
});
if (values.topology === undefined || values.supervisor === undefined || values.port === undefined) {
  process.stderr.write('usage: worker --topology <name> --supervisor <id> --port <n> [--nats <url>] [--code-dir <dir>]\n');
  process.exit(2);
}
const worker = new Worker({
  topology: values.topology,
  supervisor: values.supervisor,
  port: Number(values.port),
  ...(values['code-dir'] === undefined ? {} : { codeDir: values['code-dir'] }),
  cluster: {
    ...(values.nats === undefined ? {} : { servers: values.nats }),
    ...(values['bucket-prefix'] === undefined ? {} : { bucketPrefix: values['bucket-prefix'] }),
  },
});
try {
  await worker.start();
} catch (err) {
  process.stderr.write(`worker: ${describe(err)}\n`);
  process.exit(1);
}
const stop = (): void => {
  worker.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`worker: ${describe(err)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
