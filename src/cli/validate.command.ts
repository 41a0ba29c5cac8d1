import fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { invalid } from '../core/errors.js';
import { parseDatasetRef } from '../domain/datasets/dataset.service.js';
import type { StoredValidation } from '../domain/validation/types.js';
import { common, registryApi, type Common } from './models.command.js';
import { printJson, printTable } from './output.js';

/** A suite file's contents, or a registered suite named `name` / `name@version`. */
function suiteBody(suite: string): Record<string, unknown> {
  if (fs.existsSync(suite)) {
    try {
      return { suite: parseYaml(fs.readFileSync(suite, 'utf8')) as unknown };
    } catch (err) {
      throw invalid(`Cannot read suite file '${suite}': ${(err as Error).message}`);
    }
  }
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:@(\d+))?$/.exec(suite);
  if (!match) throw invalid(`No suite file '${suite}', and it is not a registered suite name (name or name@version)`);
  return { suiteName: match[1], ...(match[2] ? { suiteVersion: Number(match[2]) } : {}) };
}

export function registerValidateCommand(program: Command): void {
  common(program.command('validate <ref>').description('Check a dataset version against an expectation suite; exits 1 when the data fail it'))
    .requiredOption('--suite <file|name>', 'suite file in YAML or JSON ({name, expectations: [{expectation_type, kwargs}]}), or a registered suite as name[@version]')
    .option('--file <path>', 'which file of the version (default: its first CSV, Parquet or JSONL file)')
    .action(async (ref: string, opts: Common & { suite: string; file?: string }) => {
      const { name, ref: version } = parseDatasetRef(ref);
      const stored = await registryApi(opts)<StoredValidation>('POST', `/api/v1/datasets/${encodeURIComponent(name)}/versions/${encodeURIComponent(version ?? 'latest')}/validations`, {
        body: { ...suiteBody(opts.suite), ...(opts.file ? { file: opts.file } : {}) },
      });
      if (!stored.success) process.exitCode = 1;
      if (opts.json) return printJson(stored.result);
      const s = stored.result.statistics;
      console.log(`${stored.success ? 'PASSED' : 'FAILED'}: suite '${stored.suiteName}@${stored.suiteVersion}' on ${ref}, ${s.successful_expectations} of ${s.evaluated_expectations} expectations met`);
      printTable(stored.result.results, [
        { header: 'OK', value: (r) => (r.success ? 'yes' : 'NO') },
        { header: 'EXPECTATION', value: (r) => r.expectation_config.expectation_type },
        { header: 'COLUMN', value: (r) => String(r.expectation_config.kwargs.column ?? '') },
        {
          header: 'OBSERVED',
          value: (r) =>
            r.exception_info
              ? r.exception_info.exception_message
              : r.result.unexpected_count !== undefined
                ? `${r.result.unexpected_count} unexpected${r.result.unexpected_percent != null ? ` (${r.result.unexpected_percent.toFixed(2)}%)` : ''}`
                : JSON.stringify(r.result.observed_value),
        },
      ]);
    });
}
