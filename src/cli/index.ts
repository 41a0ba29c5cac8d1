#!/usr/bin/env node
import { isDomainError } from '../core/errors.js';
import { buildProgram } from './program.js';

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  // Expected failures (bad flags, unknown ids, an unreachable server) get one line, not a stack trace.
  const message = isDomainError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  console.error(`openexpert: ${message}`);
  process.exitCode = 1;
});
