import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { trackedRunContext } from '../config/config.js';
import { invalid } from '../core/errors.js';
import { parseDatasetRef } from '../domain/datasets/dataset.service.js';
import { DATASHEET_SECTIONS, type ColumnProfile, type DatasetVersion, type Datasheet } from '../domain/datasets/types.js';
import type { GcReport } from '../domain/datasets/blob-keeper.js';
import type { VersionDiff } from '../domain/datasets/version-diff.js';
import { collectFiles, getFile, hashFiles, progress, putFile } from './dataset-transfer.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;
const versionPath = (ref: string) => {
  const { name, ref: version } = parseDatasetRef(ref);
  return `/api/v1/datasets/${enc(name)}/versions/${enc(version ?? 'latest')}`;
};

function printVersion(v: DatasetVersion): void {
  console.log(`${v.name}@${v.version}  ${v.labels.join(' ')}`);
  console.log(`digest   ${v.digest}`);
  console.log(`size     ${v.size} bytes in ${v.files.length} file(s)${v.rowCount !== null ? `, ${v.rowCount} rows` : ''}`);
  console.log(`added    ${formatTime(v.createdAt)} by ${v.createdBy}`);
  if (v.parts) console.log(`parts    ${v.parts.map((p) => `${p.path} (${p.rowCount} rows)`).join(', ')}`);
  for (const d of v.schemaDifferences) {
    const types = Object.entries(d.types);
    console.log(`differs  column ${d.column}${d.missingFrom.length ? `: missing from ${d.missingFrom.join(', ')}` : ''}${types.length > 1 ? `; ${types.map(([type, files]) => `${type} in ${files.join(', ')}`).join('; ')}` : ''}`);
  }
  const estimated = v.profile?.find((c) => c.approximate);
  if (estimated) {
    const q = v.profile?.find((c) => c.approximate?.quantiles)?.approximate?.quantiles;
    console.log(`estimated figures marked ~: distinct counts ±${((estimated.approximate?.distinctCount?.relativeStandardError ?? 0) * 100).toFixed(0)}% (one standard error)${q ? `, quartiles within ±${(q.rankError * 100).toFixed(2)}% in rank (${q.confidence * 100}% confidence, ${q.sampleSize} sampled rows)` : ''}`);
  }
  if (v.profile) {
    console.log();
    printTable(v.profile, [
      { header: 'COLUMN', value: (c) => c.name }, { header: 'TYPE', value: (c) => c.type },
      { header: 'NULLS', value: (c) => c.nullCount }, { header: 'DISTINCT', value: (c) => `${c.approximate?.distinctCount ? '~' : ''}${c.distinctCount}` },
      { header: 'MIN', value: (c) => (c.min === undefined ? '' : String(c.min)) }, { header: 'MAX', value: (c) => (c.max === undefined ? '' : String(c.max)) },
      { header: 'MEAN', value: (c) => c.mean ?? null },
      ...(['q25', 'q50', 'q75'] as const).map((q) => ({ header: q.toUpperCase(), value: (c: ColumnProfile) => (c[q] == null ? '' : `${c.approximate?.quantiles ? '~' : ''}${c[q]}`) })),
      { header: 'TOP', value: (c) => c.topValues?.map((t) => `${t.value} (${t.count})`).join(', ') ?? '' },
    ]);
  }
}

/** Reads `motivation: …` pairs from a YAML or JSON file, or `section=text` flags. */
function datasheetSections(opts: { set?: string[]; from?: string }): Record<string, string> {
  const sections: Record<string, string> = {};
  if (opts.from) {
    const read = parseYaml(fs.readFileSync(opts.from, 'utf8')) as unknown;
    if (typeof read !== 'object' || read === null) throw invalid(`Datasheet file '${opts.from}' must map section names to text`);
    Object.assign(sections, read);
  }
  for (const pair of opts.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw invalid(`--set takes section=text, got '${pair}'`);
    sections[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const unknown = Object.keys(sections).filter((s) => !(DATASHEET_SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw invalid(`Unknown datasheet section '${unknown[0]}': use ${DATASHEET_SECTIONS.join(', ')}`);
  return sections;
}

/** A reproduction pins what its original read: `churn` or `churn@prod` becomes the version then read; a number stays. */
function pinned(ref: string, pins: ReadonlyMap<string, number>): string {
  const { name, ref: version } = parseDatasetRef(ref);
  const pin = pins.get(name);
  if (pin === undefined || (version !== undefined && /^\d+$/.test(version))) return ref;
  if (version !== `${pin}`) console.error(`openexpert: reading ${name}@${pin}, the version the reproduced run read (not ${ref})`);
  return `${name}@${pin}`;
}

export function registerDatasetsCommand(program: Command): void {
  const datasets = program.command('data').alias('datasets').description('Versioned datasets: add, get, ls, show, diff, label, datasheet');

  common(datasets.command('add <path>').description('Version a file or folder by its content; unchanged content keeps its version'))
    .requiredOption('--name <name>', 'dataset name')
    .option('--label <label...>', 'labels to point at the version')
    .option('--derived-from <ref...>', 'versions this data was made from (name@version)')
    .option('--run <runId>', 'the run that made this data')
    .option('--project <name>', 'the project a new dataset goes in (default: the default project)')
    .option('--no-follow-symlinks', 'refuse symlinks inside the folder instead of following them')
    .addOption(new Option('--empty <policy>', 'an empty (0-byte) file: warn, or refuse the add').choices(['warn', 'refuse']).default('warn'))
    .action(async (target: string, opts: Common & { name: string; label?: string[]; derivedFrom?: string[]; run?: string; project?: string; followSymlinks: boolean; empty: 'warn' | 'refuse' }) => {
      const local = collectFiles(target, { followSymlinks: opts.followSymlinks });
      const empty = local.filter((f) => f.size === 0).map((f) => `'${f.path}'`);
      if (empty.length > 0 && opts.empty === 'refuse') throw invalid(`Empty file(s) ${empty.join(', ')} (0 bytes); nothing was added (--empty warn adds them with a warning)`);
      const files = await hashFiles(local);
      const api = registryApi(opts);
      // Only content the server lacks crosses the network, as with DVC's push.
      const { missing } = await api<{ missing: string[] }>('POST', `/api/v1/datasets/${enc(opts.name)}/blobs/missing`, { body: { files: files.map((f) => ({ sha256: f.sha256, size: f.size })) } });
      const uploads = files.map((f, i) => ({ f, absolute: local[i]!.absolute })).filter(({ f }, i, all) => missing.includes(f.sha256) && all.findIndex((x) => x.f.sha256 === f.sha256) === i);
      const bar = progress('uploading', uploads.reduce((a, u) => a + u.f.size, 0));
      try {
        for (const { f, absolute } of uploads) await putFile(opts, `/api/v1/datasets/${enc(opts.name)}/blobs/${f.sha256}`, absolute, f.size, bar.counter());
      } finally {
        bar.stop();
      }
      const result = await api<{ version: DatasetVersion; created: boolean; warnings: string[] }>('POST', '/api/v1/datasets', {
        body: { name: opts.name, files, emptyFiles: opts.empty, ...(opts.label ? { labels: opts.label } : {}), ...(opts.derivedFrom ? { derivedFrom: opts.derivedFrom } : {}), ...(opts.run ? { producedBy: opts.run } : {}), ...(opts.project ? { project: opts.project } : {}) },
      });
      for (const warning of result.warnings) console.error(`warning: ${warning}`);
      if (opts.json) return printJson(result);
      console.log(result.created ? `Added ${result.version.name}@${result.version.version}` : `Unchanged: same content as ${result.version.name}@${result.version.version}`);
      printVersion(result.version);
    });

  common(program.command('gc').description('Remove dataset content no version references (left by refused or interrupted adds); admins only'))
    .option('--dry-run', 'only report what would be removed')
    .action(async (opts: Common & { dryRun?: boolean }) => {
      const report = await registryApi(opts)<GcReport>('POST', '/api/v1/datasets/gc', { body: { dryRun: opts.dryRun === true } });
      if (opts.json) return printJson(report);
      const mb = (report.bytesFreed / 1e6).toFixed(2);
      console.log(report.dryRun
        ? `Would remove ${report.removed} unreferenced blob(s), freeing ${report.bytesFreed} bytes (${mb} MB)`
        : `Removed ${report.removed} unreferenced blob(s), freed ${report.bytesFreed} bytes (${mb} MB)`);
      console.log(`Kept ${report.kept} blob(s) that versions reference${report.inUse ? `; left ${report.inUse} in use by uploads or adds in progress` : ''}`);
    });

  common(datasets.command('ls [name]').description('List datasets, or the versions of one'))
    .action(async (name: string | undefined, opts: Common) => {
      const api = registryApi(opts);
      if (name === undefined) {
        const { items } = await api<{ items: { name: string; latestVersion: number; versions: number }[] }>('GET', '/api/v1/datasets');
        if (opts.json) return printJson(items);
        return printTable(items, [{ header: 'NAME', value: (d) => d.name }, { header: 'LATEST', value: (d) => d.latestVersion }, { header: 'VERSIONS', value: (d) => d.versions }]);
      }
      const { items } = await api<{ items: DatasetVersion[] }>('GET', `/api/v1/datasets/${enc(name)}/versions`);
      if (opts.json) return printJson(items);
      printTable(items, [
        { header: 'VERSION', value: (v) => v.version }, { header: 'LABELS', value: (v) => v.labels.join(' ') },
        { header: 'DIGEST', value: (v) => v.digest.slice(0, 12) }, { header: 'SIZE', value: (v) => v.size },
        { header: 'ROWS', value: (v) => v.rowCount }, { header: 'ADDED', value: (v) => formatTime(v.createdAt) }, { header: 'BY', value: (v) => v.createdBy },
      ]);
    });

  common(datasets.command('show <ref>').description('Show a version (name@version, name@label or name)'))
    .action(async (ref: string, opts: Common) => {
      const v = await registryApi(opts)<DatasetVersion>('GET', versionPath(ref));
      if (opts.json) return printJson(v);
      printVersion(v);
    });

  common(datasets.command('get <ref>').description("Download a version's files, each checked against its digest (inside `openexpert run`, recorded as read by the run)"))
    .requiredOption('-o, --output <dir>', 'folder to write into')
    .action(async (ref: string, opts: Common & { output: string }) => {
      const context = trackedRunContext();
      const base = versionPath(pinned(ref, context.pins));
      const v = await registryApi(opts)<DatasetVersion>('GET', base);
      const owner = `${v.name}@${v.version}`;
      const bar = progress('fetching ', v.size);
      try {
        for (const f of v.files) await getFile(opts, `${base}/file?path=${enc(f.path)}`, f, owner, path.join(opts.output, ...f.path.split('/')), bar.counter());
      } finally {
        bar.stop();
      }
      // Inside `openexpert run` the read is part of what the run needs to be done again: its capture lists it.
      if (context.runId) {
        await registryApi(opts)('POST', '/api/v1/lineage/edges', {
          body: { edges: [{ from: { kind: 'dataset_version', id: owner }, to: { kind: 'run', id: context.runId }, relation: 'consumed' }] },
        });
      }
      if (opts.json) return printJson({ name: v.name, version: v.version, digest: v.digest, files: v.files.length, output: opts.output });
      console.log(`Wrote ${v.files.length} file(s) of ${owner} to ${opts.output}, all matching their digests`);
    });

  common(datasets.command('diff <from> <to>').description('Schema, profile and file changes between two versions of one dataset, e.g. `churn@2 churn@3`'))
    .option('--key <column>', 'also count rows added, removed and changed by this key column')
    .action(async (from: string, to: string, opts: Common & { key?: string }) => {
      const a = parseDatasetRef(from);
      const b = parseDatasetRef(to);
      if (a.name !== b.name) throw invalid(`Compare two versions of one dataset, not '${a.name}' and '${b.name}'`);
      const diff = await registryApi(opts)<VersionDiff>('GET', `/api/v1/datasets/${enc(a.name)}/diff`, { query: { from: a.ref ?? 'latest', to: b.ref ?? 'latest', ...(opts.key ? { key: opts.key } : {}) } });
      if (opts.json) return printJson(diff);
      console.log(`${diff.from} → ${diff.to}${diff.sameContent ? ' (same content)' : ''}; rows ${diff.rowCount[0] ?? '?'} → ${diff.rowCount[1] ?? '?'}`);
      for (const c of diff.addedColumns) console.log(`+ column ${c.name} ${c.type}`);
      for (const c of diff.removedColumns) console.log(`- column ${c.name} ${c.type}`);
      for (const f of diff.files.added) console.log(`+ file ${f}`);
      for (const f of diff.files.removed) console.log(`- file ${f}`);
      for (const f of diff.files.changed) console.log(`~ file ${f}`);
      if (diff.rows) {
        const { columns } = diff.rows;
        const schemaChanged = columns.added.length + columns.removed.length > 0;
        console.log(`rows by ${diff.rows.key}: ${diff.rows.added} added, ${diff.rows.removed} removed, ${diff.rows.changed} changed${schemaChanged ? ` (compared on the columns both have: ${columns.compared.join(', ')})` : ''}`);
      }
      const rows = diff.columnChanges.flatMap((c) => Object.entries(c.changes).map(([figure, [before, after]]) => ({ column: c.column, figure, before, after })));
      if (rows.length > 0) printTable(rows, [{ header: 'COLUMN', value: (r) => r.column }, { header: 'FIGURE', value: (r) => r.figure }, { header: 'BEFORE', value: (r) => JSON.stringify(r.before) }, { header: 'AFTER', value: (r) => JSON.stringify(r.after) }]);
    });

  common(datasets.command('label <ref> <label>').description('Point a label (e.g. prod) at a version'))
    .action(async (ref: string, label: string, opts: Common) => {
      const { name, ref: version } = parseDatasetRef(ref);
      const v = await registryApi(opts)<DatasetVersion>('PUT', `/api/v1/datasets/${enc(name)}/labels/${enc(label)}`, { body: { version: version ?? 'latest' } });
      if (opts.json) return printJson(v);
      console.log(`${v.name}@${label} → version ${v.version}`);
    });

  common(datasets.command('datasheet <name>').description('Print the datasheet as Markdown, or edit its sections'))
    .option('--set <section=text...>', `write a section (${DATASHEET_SECTIONS.join(', ')}); an empty text clears it`)
    .option('--from <file>', 'YAML or JSON mapping sections to text')
    .action(async (name: string, opts: Common & { set?: string[]; from?: string }) => {
      const api = registryApi(opts);
      const editing = opts.set !== undefined || opts.from !== undefined;
      const sheet = editing
        ? await api<Datasheet & { markdown: string }>('PUT', `/api/v1/datasets/${enc(name)}/datasheet`, { body: { sections: datasheetSections(opts) } })
        : await api<Datasheet & { markdown: string }>('GET', `/api/v1/datasets/${enc(name)}/datasheet`);
      if (opts.json) return printJson(sheet);
      process.stdout.write(sheet.markdown);
    });
}
