import type { CommandModule } from 'yargs';
import { ConsoleLogger, describe } from '../common/index.js';
import type { ComponentSummary } from '../executor/index.js';
import { LocalCluster } from '../local/index.js';
import { loadTopologyFile } from '../worker/load-topology.js';
import { exitCodeOf } from './exit-codes.js';
import { formatSummaryTable, formatRates } from './format.js';

interface LocalArgs {
  file: string;
  duration: number | undefined;
  json: boolean;
  name: string | undefined;
  quiet: boolean;
  'drain-timeout': number | undefined;
}

/** `squall local <topology.ts>`: runs a topology file in this process, no server needed. */
export const localCommand: CommandModule<object, LocalArgs> = {
  command: 'local <file>',
  describe: 'Run a topology file in local mode (one process, no server)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Topology file whose default export is a topology (or a function returning one)' })
      .option('duration', { type: 'number', describe: 'Seconds to run before stopping (default: until Ctrl-C)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the final summary as one JSON object on the last line of stdout' })
      .option('name', { type: 'string', describe: "Topology name (default: the file's folder name)" })
      .option('quiet', { type: 'boolean', default: false, describe: 'No live progress line' })
      .option('drain-timeout', {
        type: 'number',
        describe: "Seconds to wait for in-flight tuples when stopping (default: the topology's topology.kill.wait.ms, else 30)",
      })
      .example('$0 local topologies/word-count/topology.ts --duration 10', 'Run word count for ten seconds') as never,
  handler: async (args) => {
    process.exitCode = await runLocal(args);
  },
};

async function runLocal(args: LocalArgs): Promise<number> {
  let loaded;
  try {
    loaded = await loadTopologyFile(args.file);
  } catch (err) {
    process.stderr.write(`squall local: ${describe(err)}\n`);
    return exitCodeOf(err);
  }
  const name = args.name ?? loaded.defaultName;
  const debug = loaded.topology.config['topology.debug'];
  const cluster = new LocalCluster({ logger: new ConsoleLogger(debug ? 'debug' : 'warn') });
  try {
    await cluster.submitTopology(name, {}, loaded.topology, { resourcesDir: loaded.resourcesDir });
  } catch (err) {
    process.stderr.write(`squall local: ${describe(err)}\n`);
    await cluster.shutdown();
    return exitCodeOf(err);
  }
  const live = !args.quiet && process.stderr.isTTY === true;
  process.stderr.write(`Running '${name}' in local mode${args.duration === undefined ? ' (Ctrl-C to stop)' : ` for ${args.duration}s`}\n`);

  let previous = snapshot(cluster.getTopologySummary(name).components);
  let previousAt = performance.now();
  const progress = setInterval(() => {
    const now = performance.now();
    const current = snapshot(cluster.getTopologySummary(name).components);
    const line = formatRates(previous, current, (now - previousAt) / 1000);
    previous = current;
    previousAt = now;
    if (live) process.stderr.write(`\r\x1b[K${line}`);
    else if (!args.quiet) process.stderr.write(`${line}\n`);
  }, live ? 1000 : 5000);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (args.duration !== undefined) setTimeout(stop, args.duration * 1000).unref();
  });
  clearInterval(progress);
  if (live) process.stderr.write('\n');
  process.stderr.write(`Stopping '${name}': draining in-flight tuples...\n`);
  const runtime = cluster.getRuntime(name);
  const drainMs = args['drain-timeout'] !== undefined ? args['drain-timeout'] * 1000 : (runtime.config['topology.kill.wait.ms'] ?? 30_000);
  const drained = await runtime.drain(drainMs);
  if (!drained) process.stderr.write(`Warning: ${runtime.inFlight()} tuple(s) still in flight after ${drainMs / 1000}s\n`);
  const summary = cluster.getTopologySummary(name);
  await cluster.killTopology(name, { waitMs: 0 });
  process.stdout.write(`${formatSummaryTable(summary)}\n`);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ topology: summary.topology, uptime_secs: summary.uptime_secs, components: summary.components, errors: summary.errors })}\n`);
  }
  return 0;
}

function snapshot(components: Record<string, ComponentSummary>): Record<string, { emitted: number; executed: number; acked: number; failed: number }> {
  return Object.fromEntries(
    Object.entries(components).map(([id, c]) => [id, { emitted: c.emitted, executed: c.executed, acked: c.acked, failed: c.failed }]),
  );
}
