import type { CommandModule } from 'yargs';
import { ConsoleLogger, describe } from '../common/index.js';
import { natsAuthEnabled } from '../config/index.js';
import { Coordinator } from '../coordinator/index.js';
import { Supervisor } from '../supervisor/index.js';
import { connectOptionsOf, daemonConfigOf, withClusterOptions, type ClusterArgs } from './cluster-options.js';
import { exitCodeOf } from './exit-codes.js';

/** `squall coordinator` and `squall supervisor`: the long-running processes of a cluster. */

/** Runs a daemon until SIGINT/SIGTERM, then stops it cleanly. */
async function runDaemon(name: string, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  let daemon;
  try {
    daemon = await start();
  } catch (err) {
    process.stderr.write(`squall ${name}: ${describe(err)}\n`);
    process.exitCode = exitCodeOf(err);
    return;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await daemon.stop().catch((err: unknown) => process.stderr.write(`squall ${name}: ${describe(err)}\n`));
  process.exit(0);
}

interface CoordinatorArgs extends ClusterArgs {
  id: string | undefined;
}

export const coordinatorCommand: CommandModule<object, CoordinatorArgs> = {
  command: 'coordinator',
  aliases: ['nimbus'],
  describe: 'Run a coordinator (Nimbus): schedules topologies onto supervisors; several may run, one leads',
  builder: (y) => withClusterOptions(y).option('id', { type: 'string', describe: 'Coordinator id (default: host name plus a random suffix)' }) as never,
  handler: async (args) => {
    await runDaemon('coordinator', async () => {
      const c = daemonConfigOf(args, { 'coordinator.id': args.id });
      const coordinator = new Coordinator({
        cluster: connectOptionsOf(c),
        supervisorTimeoutMs: c['coordinator.supervisor.timeout.secs'] * 1000,
        logger: new ConsoleLogger('info'),
        ...(c['coordinator.id'] === undefined ? {} : { id: c['coordinator.id'] }),
      });
      await coordinator.start();
      return coordinator;
    });
  },
};

interface SupervisorArgs extends ClusterArgs {
  id: string | undefined;
  host: string | undefined;
  slots: string | undefined;
  dir: string | undefined;
}

export const supervisorCommand: CommandModule<object, SupervisorArgs> = {
  command: 'supervisor',
  describe: 'Run a supervisor: offers worker slots (ports) and runs the workers assigned to them',
  builder: (y) =>
    withClusterOptions(y)
      .option('id', { type: 'string', describe: 'Supervisor id (default: <host>-<first slot>)' })
      .option('host', { type: 'string', describe: "Host name or address other machines reach this one's workers at (default: the host name)" })
      .option('slots', { type: 'string', describe: 'Worker ports, comma-separated (default: 6700,6701,6702,6703)' })
      .option('dir', { type: 'string', describe: 'Working directory for topology packages (default: a directory under the system tmp)' })
      .example('$0 supervisor --host 10.0.0.5 --slots 6700,6701', 'Offer two workers') as never,
  handler: async (args) => {
    await runDaemon('supervisor', async () => {
      const c = daemonConfigOf(args, { 'supervisor.id': args.id, 'supervisor.host': args.host, 'supervisor.slots': args.slots, 'supervisor.dir': args.dir });
      const cluster = connectOptionsOf(c);
      const supervisor = new Supervisor({
        cluster,
        curve: c['transport.curve'] === 'on' || (c['transport.curve'] === 'auto' && natsAuthEnabled(cluster)),
        slots: c['supervisor.slots'],
        workerTimeoutMs: c['supervisor.worker.timeout.secs'] * 1000,
        workerStartTimeoutMs: c['supervisor.worker.start.timeout.secs'] * 1000,
        workerNodeArgs: c['supervisor.worker.node.args'],
        logger: new ConsoleLogger('info'),
        ...(c['supervisor.id'] === undefined ? {} : { id: c['supervisor.id'] }),
        ...(c['supervisor.host'] === undefined ? {} : { host: c['supervisor.host'] }),
        ...(c['supervisor.dir'] === undefined ? {} : { dir: c['supervisor.dir'] }),
      });
      await supervisor.start();
      return supervisor;
    });
  },
};
