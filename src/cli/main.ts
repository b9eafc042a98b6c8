#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { activateCommand, deactivateCommand, killCommand, listCommand, rebalanceCommand, submitCommand } from './cluster-commands.js';
import { configCommand } from './config-command.js';
import { coordinatorCommand, supervisorCommand } from './daemon-commands.js';
import { localCommand } from './local-command.js';
import { initCommand } from './init-command.js';
import { testCommand } from './test-command.js';

/** The `squall` command line. */
await yargs(hideBin(process.argv))
  .scriptName('squall')
  .usage('$0 <command> [options]\n\nStorm-style stream processing in TypeScript.')
  .command(localCommand)
  .command(submitCommand)
  .command(listCommand)
  .command(killCommand)
  .command(activateCommand)
  .command(deactivateCommand)
  .command(rebalanceCommand)
  .command(coordinatorCommand)
  .command(supervisorCommand)
  .command(configCommand)
  // A new project and its tests.
  .command(initCommand)
  .command(testCommand)
  .demandCommand(1, 'Name a command; see the list above.')
  .strict()
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
