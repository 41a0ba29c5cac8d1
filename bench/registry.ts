/**
 * Registry search over 10,000 model versions (100 registered models × 100 versions, with tags and run ids),
 * through HTTP on the MLflow REST surface, as the MLflow client searches. Run with
 * `npx tsx bench/registry.ts [--models=N] [--versions=N] [--calls=N]`; prints JSON with p50/p99 per query.
 *
 * The versions are written straight through the registry store (not timed); the server then runs in this
 * process on that SQLite database, so the client's work competes with it for the CPU, as in bench/tracking.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { SqlRegistryStore } from '../src/store/sql/registry.sql-store.js';

export interface RegistryBenchOptions {
  models?: number;
  versionsPerModel?: number;
  /** Timed calls per query (200 by default), after 20 untimed ones. */
  calls?: number;
}

const M = '/api/2.0/mlflow';
const round2 = (n: number) => Math.round(n * 100) / 100;

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return round2(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN);
}

async function populate(dbUrl: string, models: number, perModel: number): Promise<void> {
  const handle = await openDatabase(dbUrl);
  try {
    await migrate(handle);
    const store = new SqlRegistryStore(handle);
    let t = Date.now() - models * perModel;
    for (let m = 0; m < models; m++) {
      const name = `model-${String(m).padStart(3, '0')}`;
      await store.createRegisteredModel({ name, tags: [{ key: 'team', value: `team-${m % 10}` }], now: ++t });
      for (let v = 0; v < perModel; v++) {
        await store.createModelVersion({
          name, source: `runs:/run-${m}-${v}/model`, storageLocation: `runs:/run-${m}-${v}/model`, runId: `run-${m}-${v}`,
          userId: 'bench', tags: v % 10 === 0 ? [{ key: 'validated', value: 'yes' }] : [], now: ++t,
        });
      }
    }
  } finally {
    await handle.close();
  }
}

export async function runRegistryBench(opts: RegistryBenchOptions = {}) {
  const models = opts.models ?? 100;
  const perModel = opts.versionsPerModel ?? 100;
  const calls = opts.calls ?? 200;
  const home = await mkdtemp(path.join(os.tmpdir(), 'openexpert-bench-registry-'));
  try {
    const config = loadConfig({ home, port: 0, logLevel: 'silent' }, {});
    const populateStart = performance.now();
    await populate(config.dbUrl, models, perModel);
    const populateSeconds = round2((performance.now() - populateStart) / 1000);
    const server = await startServer(config);
    try {
      const get = async (p: string, query: Record<string, string>) => {
        const res = await fetch(`${server.url}${M}${p}?${new URLSearchParams(query).toString()}`);
        const body = (await res.json()) as { model_versions?: unknown[]; registered_models?: unknown[] };
        if (!res.ok) throw new Error(`${p} → ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        return (body.model_versions ?? body.registered_models ?? []).length;
      };
      const queries: Record<string, [string, Record<string, string>]> = {
        versionsOfOneModel: ['/model-versions/search', { filter: "name = 'model-042'", max_results: '1000' }],
        versionsByRunId: ['/model-versions/search', { filter: "run_id = 'run-77-13'" }],
        versionsTaggedOrdered: ['/model-versions/search', { filter: "name LIKE 'model-04%' and tags.validated = 'yes'", order_by: 'version_number DESC', max_results: '100' }],
        versionsFirstPageAll: ['/model-versions/search', { max_results: '1000' }],
        modelsLikeWithPromptClause: ['/registered-models/search', { filter: "name LIKE '%7%' AND tags.`mlflow.prompt.is_prompt` != 'true'", max_results: '100' }],
      };
      const results: Record<string, { returned: number; p50Ms: number; p99Ms: number }> = {};
      for (const [label, [p, query]] of Object.entries(queries)) {
        for (let i = 0; i < 20; i++) await get(p, query);
        const samples: number[] = [];
        let returned = 0;
        for (let i = 0; i < calls; i++) {
          const start = performance.now();
          returned = await get(p, query);
          samples.push(performance.now() - start);
        }
        results[label] = { returned, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
      }
      return {
        server: 'in-process, SQLite',
        machine: { cpus: os.availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` },
        registeredModels: models,
        versions: models * perModel,
        populateSeconds,
        calls,
        search: results,
      };
    } finally {
      await server.close();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export function registryBenchOptionsFromArgs(args: readonly string[]): RegistryBenchOptions {
  const num = (name: string) => {
    const v = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    return v === undefined ? undefined : Number(v);
  };
  return { models: num('models'), versionsPerModel: num('versions'), calls: num('calls') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runRegistryBench(registryBenchOptionsFromArgs(process.argv.slice(2))), null, 2));
}
