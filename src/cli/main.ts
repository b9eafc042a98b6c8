#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { localCommand } from './local-command.js';

/** The `squall` command line. */
await yargs(hideBin(process.argv))
  .scriptName('squall')
  .usage('$0 <command> [options]\n\nStorm-style stream processing in TypeScript.')
  .command(localCommand)
  .demandCommand(1, 'Name a command; see the list above.')
  .strict()
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
