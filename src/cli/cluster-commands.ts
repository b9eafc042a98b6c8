import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { ClusterClient, MAX_PACKAGE_BYTES, describeSkipped, encodePackage, packTopology } from '../cluster/index.js';
import { ConfigError, SquallError, TopologyLoadError, describe, isErrorCode } from '../common/index.js';
import { decodeApiResult, type ApiArgs, type ApiResult, type ClusterListing } from '../protocol/api.js';
import type { ApiOperation } from '../protocol/cluster-records.js';
import { loadTopologyPackage } from '../worker/load-topology.js';
import { connectOptionsOf, daemonConfigOf, withClusterOptions, type ClusterArgs } from './cluster-options.js';
import { exitCodeOf } from './exit-codes.js';
import { table } from './format.js';

/**
 * The commands that talk to a running cluster: submit, list, kill, activate, deactivate,
 * rebalance. Each connects to NATS, asks the leading coordinator, prints the answer, and exits
 * with a code that tells the failure apart (`EXIT_CODES`).
 */

async function withCluster<T>(command: string, args: ClusterArgs, run: (state: ClusterClient) => Promise<T>): Promise<void> {
  try {
    const state = await ClusterClient.connect({ ...connectOptionsOf(daemonConfigOf(args)), name: `squall ${command}` });
    try {
      await run(state);
    } finally {
      await state.close();
    }
  } catch (err) {
    process.stderr.write(`squall ${command}: ${describe(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

/** Asks the coordinator; an error reply becomes a SquallError with the code the coordinator gave. */
async function ask<O extends ApiOperation>(state: ClusterClient, op: O, args: ApiArgs<O>): Promise<ApiResult<O>> {
  const reply = await state.request(op, args);
  if (!reply.ok) throw new SquallError(isErrorCode(reply.error?.code) ? reply.error.code : 'CLUSTER', reply.error?.message ?? 'the coordinator refused');
  return decodeApiResult(op, reply.result);
}

interface SubmitArgs extends ClusterArgs {
  file: string;
  name: string | undefined;
  workers: number | undefined;
  inactive: boolean;
  conf: string[] | undefined;
  'max-package-mb': number;
}

/** `key=value` pairs from the command line; values read as JSON when they parse (numbers, booleans), else as strings. */
function parseConf(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError('--conf', `takes key=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

export const submitCommand: CommandModule<object, SubmitArgs> = {
  command: 'submit <file>',
  describe: 'Submit a topology file to the cluster',
  builder: (y) =>
    withClusterOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'Topology file (the same one `squall local` runs)' })
      .option('name', { type: 'string', describe: "Topology name (default: the file's folder name)" })
      .option('workers', { type: 'number', describe: 'Worker processes to spread it over (default: its topology.workers)' })
      .option('inactive', { type: 'boolean', default: false, describe: 'Submit without starting the spouts (activate later)' })
      .option('conf', { alias: 'c', type: 'string', array: true, describe: "Topology configuration over the file's: key=value (e.g. -c topology.acker.executors=0)" })
      .option('max-package-mb', {
        type: 'number',
        default: MAX_PACKAGE_BYTES / 1048576,
        describe: "Refuse a topology whose folder (less what its .squallignore leaves out) holds more than this many MiB",
      })
      .example('$0 submit topologies/word-count/topology.ts --name wc --workers 2', 'Run word count on two workers') as never,
  handler: async (args) => {
    let loaded;
    let topology;
    let pkg;
    // The package is loaded here exactly as a worker will load it: one that cannot load is
    // refused now, with its error, instead of crash-looping on the workers.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'squall-submit-'));
    try {
      if (!existsSync(args.file)) throw new TopologyLoadError(args.file, 'no such file');
      const packed = await packTopology(args.file, { maxBytes: args['max-package-mb'] * 1048576 });
      loaded = await loadTopologyPackage(packed, dir, args.file);
      topology = loaded.topology.withConfig(parseConf(args.conf ?? []));
      pkg = encodePackage(packed);
    } catch (err) {
      process.stderr.write(`squall submit: ${describe(err)}\n`);
      process.exitCode = exitCodeOf(err);
      return;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const name = args.name ?? loaded.defaultName;
    await withCluster('submit', args, async (state) => {
      const packageId = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      await state.putPackage(packageId, pkg);
      let result: ApiResult<'submit'>;
      try {
        result = await ask(state, 'submit', {
          name,
          spec: topology.spec,
          config: topology.config,
          packageId,
          ...(args.workers === undefined ? {} : { workers: args.workers }),
          inactive: args.inactive,
        });
      } catch (err) {
        await state.deletePackage(packageId).catch(() => undefined);
        throw err;
      }
      const where = result.workers.map((w) => `${w.supervisor}:${w.port} (${w.tasks.length} tasks)`).join(', ');
      process.stdout.write(`Submitted '${name}' (${result.status}) on ${result.workers.length} worker(s): ${where}\n`);
    });
  },
};

interface ListArgs extends ClusterArgs {
  json: boolean;
}

function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List the topologies and supervisors of the cluster',
  builder: (y) => withClusterOptions(y).option('json', { type: 'boolean', default: false, describe: 'Print the listing as JSON' }) as never,
  handler: async (args) => {
    await withCluster('list', args, async (state) => {
      const listing = await ask(state, 'list', {});
      if (args.json) {
        process.stdout.write(`${JSON.stringify(listing)}\n`);
        return;
      }
      if (listing.topologies.length === 0) process.stdout.write('No topologies running.\n');
      else {
        const rows = [['TOPOLOGY', 'STATUS', 'WORKERS', 'TASKS', 'UPTIME', 'EMITTED', 'ACKED', 'FAILED']];
        for (const t of listing.topologies) {
          const alive = t.workers.filter((w) => w.alive).length;
          rows.push([t.name, t.status, `${alive}/${t.workers.length}`, String(t.tasks), `${t.uptimeSecs}s`, count(t.emitted), count(t.acked), count(t.failed)]);
        }
        process.stdout.write(`${table(rows)}\n`);
        for (const t of listing.topologies) {
          for (const [component, message] of Object.entries(t.lastErrors)) process.stdout.write(`${t.name}/${component} last error: ${message}\n`);
          if (t.hint !== undefined) process.stdout.write(`${t.name} ${t.hint}\n`);
        }
      }
      for (const r of listing.skipped ?? []) {
        process.stdout.write(`Skipped ${describeSkipped(r)}\n`);
      }
      const sups = listing.supervisors.map((s) => `${s.id} (${s.host}) ${s.used}/${s.slots} slots used`).join(', ');
      process.stdout.write(`\nSupervisors: ${sups.length > 0 ? sups : 'none alive'}\nLeader: ${listing.leader ?? 'none'}\n`);
    });
  },
};

interface NameArgs extends ClusterArgs {
  name: string;
}

function lifecycleCommand(op: 'activate' | 'deactivate', describeText: string): CommandModule<object, NameArgs> {
  return {
    command: `${op} <name>`,
    describe: describeText,
    builder: (y) => withClusterOptions(y).positional('name', { type: 'string', demandOption: true }) as never,
    handler: async (args) => {
      await withCluster(op, args, async (state) => {
        await ask(state, op, { name: args.name });
        process.stdout.write(`${op === 'activate' ? 'Activated' : 'Deactivated'} '${args.name}'\n`);
      });
    },
  };
}

export const activateCommand = lifecycleCommand('activate', "Start a topology's spouts");
export const deactivateCommand = lifecycleCommand('deactivate', "Stop a topology's spouts (tuples in flight finish)");

interface KillArgs extends NameArgs {
  wait: number | undefined;
}

/** Polls the listing until `done` holds for the topology, or the deadline passes. */
async function waitFor(state: ClusterClient, name: string, done: (t: ClusterListing['topologies'][number] | undefined) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const listing = await ask(state, 'list', {});
    if (done(listing.topologies.find((t) => t.name === name))) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export const killCommand: CommandModule<object, KillArgs> = {
  command: 'kill <name>',
  describe: 'Deactivate a topology, let in-flight tuples drain, then remove its workers',
  builder: (y) =>
    withClusterOptions(y)
      .positional('name', { type: 'string', demandOption: true })
      .option('wait', { type: 'number', describe: "Seconds between deactivating and removing the workers (default: its topology.message.timeout.secs)" }) as never,
  handler: async (args) => {
    await withCluster('kill', args, async (state) => {
      const r = await ask(state, 'kill', { name: args.name, ...(args.wait === undefined ? {} : { waitSecs: args.wait }) });
      process.stdout.write(`Deactivated '${args.name}'; its workers are removed in ${r.waitSecs} s\n`);
      if (await waitFor(state, args.name, (t) => t === undefined, (r.waitSecs + 30) * 1000)) process.stdout.write(`Killed '${args.name}'\n`);
      else throw new SquallError('TIMEOUT', `'${args.name}' is still listed ${r.waitSecs + 30} s later; is the coordinator running?`);
    });
  },
};

interface RebalanceArgs extends NameArgs {
  workers: number | undefined;
  executors: string[] | undefined;
  wait: number | undefined;
}

export const rebalanceCommand: CommandModule<object, RebalanceArgs> = {
  command: 'rebalance <name>',
  describe: 'Spread a topology over another number of workers, or change executor counts',
  builder: (y) =>
    withClusterOptions(y)
      .positional('name', { type: 'string', demandOption: true })
      .option('workers', { alias: 'n', type: 'number', describe: 'New number of worker processes' })
      .option('executors', { alias: 'e', type: 'string', array: true, describe: 'component=N: run the component on N executors (at most its tasks)' })
      .option('wait', { type: 'number', describe: 'Seconds to wait with spouts stopped before moving (default: its topology.message.timeout.secs)' })
      .example('$0 rebalance wc --workers 3 -e split=4 --wait 5', 'Three workers, split on four executors') as never,
  handler: async (args) => {
    const executors: Record<string, number> = {};
    for (const e of args.executors ?? []) {
      const m = /^([^=]+)=(\d+)$/.exec(e);
      if (m === null || m[1] === undefined || m[2] === undefined) {
        const err = new ConfigError('--executors', `takes component=N, got '${e}'`);
        process.stderr.write(`squall rebalance: ${err.message}\n`);
        process.exitCode = exitCodeOf(err);
        return;
      }
      executors[m[1]] = Number(m[2]);
    }
    await withCluster('rebalance', args, async (state) => {
      const r = await ask(state, 'rebalance', {
        name: args.name,
        executors,
        ...(args.workers === undefined ? {} : { workers: args.workers }),
        ...(args.wait === undefined ? {} : { waitSecs: args.wait }),
      });
      process.stdout.write(`Rebalancing '${args.name}' in ${r.waitSecs} s\n`);
      if (await waitFor(state, args.name, (t) => t !== undefined && t.status !== 'REBALANCING', (r.waitSecs + 30) * 1000)) {
        process.stdout.write(`Rebalanced '${args.name}'\n`);
      } else throw new SquallError('TIMEOUT', `'${args.name}' is still rebalancing ${r.waitSecs + 30} s later; are there free slots?`);
    });
  },
};
