import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { clientUrl } from '../config/config.js';
import { invalid, isDomainError } from '../core/errors.js';
import { parseDatasetRef } from '../domain/datasets/dataset.service.js';
import type { DatasetVersion } from '../domain/datasets/types.js';
import { STRICTNESS } from '../domain/validation/suggest-suite.js';
import type { StoredValidation, Suite } from '../domain/validation/types.js';
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

/** Exit statuses of `validate`: scripts and CI tell bad data from a bad suite or command. */
export const VALIDATE_EXIT = { passed: 0, dataFailed: 1, usage: 2 } as const;

function printResult(stored: StoredValidation, where: string): void {
  const s = stored.result.statistics;
  console.log(`${stored.success ? 'PASSED' : 'FAILED'}: suite '${stored.suiteName}@${stored.suiteVersion}' on ${where}, ${s.successful_expectations} of ${s.evaluated_expectations} expectations met`);
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
}

/** The HTML page of each validation, from the server: `out.html`, or `out-1.html`, `out-2.html`… for several. */
async function writePages(opts: Common, validations: string, stored: readonly StoredValidation[], target: string): Promise<string[]> {
  const headers: Record<string, string> = opts.user ? { authorization: `Basic ${Buffer.from(`${opts.user}:`).toString('base64')}` } : {};
  const ext = path.extname(target);
  const written: string[] = [];
  for (const [i, s] of stored.entries()) {
    const page = await fetch(`${clientUrl(opts.url)}${validations}/${s.id}/report.html`, { headers });
    if (!page.ok) throw invalid(`Fetching the HTML report failed: HTTP ${page.status}`);
    const file = stored.length === 1 ? target : `${target.slice(0, target.length - ext.length)}-${i + 1}${ext}`;
    fs.writeFileSync(file, await page.text());
    written.push(file);
  }
  return written;
}

export function registerValidateCommand(program: Command): void {
  const command = common(program.command('validate <ref>').description('Check a dataset version against an expectation suite; exits 0 when the data pass, 1 when they fail it, 2 on a suite or usage error'))
    // Checked in the action rather than by commander, which would ask `validate suggest` for it too.
    .option('--suite <file|name>', 'suite file in YAML or JSON ({name, expectations: [{expectation_type, kwargs}]}), or a registered suite as name[@version]')
    .option('--file <path>', 'check only this file of the version (default: the whole table, all its parts)')
    .option('--per-part', 'check each part of a partitioned table on its own')
    .option('--result-format <level>', "GE's result_format: BOOLEAN_ONLY, BASIC, SUMMARY (default) or COMPLETE (every unexpected value and row index)")
    .option('--html <file>', 'also write the result as a self-contained HTML page (like GE\'s Data Docs); with --per-part one page per part, numbered')
    .action(async (ref: string, opts: Common & { suite?: string; file?: string; perPart?: boolean; resultFormat?: string; html?: string }) => {
      if (!opts.suite) return command.error("error: required option '--suite <file|name>' not specified", { exitCode: VALIDATE_EXIT.usage });
      const suiteRef = opts.suite;
      try {
        if (opts.file && opts.perPart) throw invalid('Choose --file or --per-part, not both');
        const { name, ref: version } = parseDatasetRef(ref);
        const api = registryApi(opts);
        const base = `/api/v1/datasets/${encodeURIComponent(name)}/versions/${encodeURIComponent(version ?? 'latest')}`;
        const body = { ...suiteBody(suiteRef), ...(opts.resultFormat ? { resultFormat: opts.resultFormat.toUpperCase() } : {}) };
        let files: (string | undefined)[] = [opts.file];
        if (opts.perPart) {
          const v = await api<DatasetVersion>('GET', base);
          files = v.parts ? v.parts.map((p) => p.path) : [undefined];
        }
        const results: { file: string | undefined; stored: StoredValidation }[] = [];
        for (const file of files) results.push({ file, stored: await api<StoredValidation>('POST', `${base}/validations`, { body: { ...body, ...(file ? { file } : {}) } }) });
        const pages = opts.html ? await writePages(opts, `${base}/validations`, results.map((r) => r.stored), opts.html) : [];
        process.exitCode = results.every((r) => r.stored.success) ? VALIDATE_EXIT.passed : VALIDATE_EXIT.dataFailed;
        if (opts.json) return printJson(opts.perPart ? results.map((r) => ({ file: r.file ?? null, ...r.stored.result })) : results[0]!.stored.result);
        for (const [i, r] of results.entries()) {
          if (i > 0) console.log();
          printResult(r.stored, r.file ? `${ref} file ${r.file}` : ref);
        }
        for (const page of pages) console.log(`report written to ${page}`);
      } catch (err) {
        // Anything but a verdict on the data: a suite that does not parse, an unknown version, an unreachable server.
        const message = isDomainError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
        console.error(`openexpert: ${message}`);
        process.exitCode = VALIDATE_EXIT.usage;
      }
    });
  common(command.command('suggest <ref>').description('Write a suite drawn from a dataset version (types, null shares, ranges, category sets, keys, freshness) that passes on it, to review and keep'))
    .option('--strictness <level>', `how far bounds reach past what was observed: ${STRICTNESS.join(', ')}`, 'moderate')
    .option('--name <suite>', 'suite name (default: <dataset>-suggested)')
    .option('-o, --out <file>', 'write the suite as YAML to this file (default: print it)')
    .action(async (ref: string, opts: Common & { strictness: string; name?: string; out?: string }) => {
      const { name, ref: version } = parseDatasetRef(ref);
      const suite = await registryApi(opts)<Suite>('GET', `/api/v1/datasets/${encodeURIComponent(name)}/versions/${encodeURIComponent(version ?? 'latest')}/suggested-suite`, {
        query: { strictness: opts.strictness, name: opts.name },
      });
      if (opts.json) {
        printJson(suite);
        return;
      }
      const text = `# Suggested from ${ref} (${opts.strictness}); review each expectation before relying on it.\n${toYaml(suite, { lineWidth: 0 })}`;
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      fs.writeFileSync(opts.out, text);
      console.log(`wrote ${suite.expectations.length} expectations for ${ref} to ${opts.out}`);
    });
  // Commander's own usage errors (a missing --suite, an unknown flag) exit 2 here too.
  command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : VALIDATE_EXIT.usage));
}
