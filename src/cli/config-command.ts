import type { CommandModule } from 'yargs';
import { configKeys, daemonConfigKeys } from '../config/index.js';
import { table } from './format.js';

interface ConfigArgs {
  json: boolean;
}

/** `squall config`: every configuration key with its default and meaning, from the schemas. */
export const configCommand: CommandModule<object, ConfigArgs> = {
  command: 'config',
  describe: 'List every configuration key: topology keys, then daemon keys (with their environment variables)',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print the keys as one JSON object' }) as never,
  handler: (args) => {
    const topology = configKeys();
    const daemon = daemonConfigKeys();
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({
          topology: topology.map((k) => ({ key: k.key, default: k.default, meaning: k.meaning })),
          daemon: daemon.map((k) => ({ key: k.key, env: k.env ?? null, default: k.default ?? null, meaning: k.meaning })),
        })}\n`,
      );
      return;
    }
    process.stdout.write('Topology configuration (squall submit -c key=value, or the topology\'s config):\n\n');
    process.stdout.write(`${table([['KEY', 'DEFAULT', 'MEANING'], ...topology.map((k) => [k.key, k.shown, k.meaning])])}\n\n`);
    process.stdout.write('Daemon configuration (--config file, environment, flags):\n\n');
    process.stdout.write(`${table([['KEY', 'ENV', 'DEFAULT', 'MEANING'], ...daemon.map((k) => [k.key, k.env ?? '–', k.shown, k.meaning])])}\n`);
  },
};
