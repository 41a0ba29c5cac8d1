#!/usr/bin/env node
import { Command } from 'commander';
import { isDomainError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { registerDbCommand } from './db.command.js';
import { registerExperimentsCommand } from './experiments.command.js';
import { registerRunsCommand } from './runs.command.js';
import { registerServerCommand } from './server.command.js';

const program = new Command()
  .name('openexpert')
  .description('OpenExpert: track, validate, evaluate, gate, deploy and monitor ML models')
  .version(VERSION);

registerServerCommand(program);
registerDbCommand(program);
registerExperimentsCommand(program);
registerRunsCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Expected failures (bad flags, unknown ids, an unreachable server) get one line, not a stack trace.
  const message = isDomainError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  console.error(`openexpert: ${message}`);
  process.exitCode = 1;
});
