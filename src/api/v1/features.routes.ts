import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { LocalFile } from '../../domain/datasets/data-file.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { ApplyOut, HistoricalOut, LoggedSkewOut, MaterializeOut, OnlineOut, SkewOut, ViewDetailOut, ViewListOut } from './features.replies.js';
import { media } from './replies.js';

/** Feature views: apply definitions, training sets joined point-in-time, materialization, online values, skew checks. */
const tags = ['features'];
const FeatureList = z.string().min(1).max(20_000).transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean));
const Apply = z.object({ definitions: z.record(z.string(), z.unknown()), project: z.string().min(1).max(256).optional(), dryRun: z.boolean().default(false), prune: z.boolean().default(false) }).strict();
const ViewName = z.object({ name: z.string().min(1).max(128) });
const ListQuery = z.object({ project: z.string().min(1).max(256).optional() });
const Rows = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).min(1).max(100_000);
const DatasetName = z.string().min(1).max(256).regex(/^[^@/]+$/, 'a dataset name, without @version or slashes');
const Historical = z.object({
  features: z.array(z.string().min(1)).min(1).max(1000), entities: Rows, dataset: DatasetName.optional(), project: z.string().min(1).max(256).optional(),
}).strict();
const TableQuery = z.object({
  features: FeatureList, format: z.enum(['parquet', 'csv', 'json']).optional(), tolerance: z.coerce.number().min(0).max(1).optional(),
  dataset: DatasetName.optional().describe('register the training set as a new version of this dataset'), project: z.string().min(1).max(256).optional().describe('the project of a new dataset'),
});
const Instant = z.union([z.number().int().min(0), z.string().datetime({ offset: true }).transform((s) => Date.parse(s))]);
const Materialize = z.object({ views: z.array(z.string().min(1)).max(1000).optional(), start: Instant.optional(), end: Instant.optional(), incremental: z.boolean().default(false) }).strict();
const EntityValues = z.record(z.string(), z.array(z.union([z.string(), z.number()])).max(10_000));
const Online = z.object({ features: z.array(z.string().min(1)).min(1).max(1000), entities: EntityValues }).strict();
const OnlineQuery = z.object({ features: FeatureList }).catchall(z.union([z.string(), z.array(z.string())]));
const Skew = z.object({ features: z.array(z.string().min(1)).min(1).max(1000), rows: Rows, tolerance: z.number().min(0).max(1).default(1e-9) }).strict();
const LoggedSkew = z.object({
  deployment: z.string().min(1).max(256), features: z.array(z.string().min(1)).min(1).max(1000).optional(), limit: z.number().int().min(1).max(100_000).default(1000),
  since: Instant.optional(), tolerance: z.number().min(0).max(1).default(1e-9),
}).strict();

const TABLE_TYPES: Record<string, 'csv' | 'parquet'> = { 'text/csv': 'csv', 'application/vnd.apache.parquet': 'parquet', 'application/x-parquet': 'parquet' };
const tableType = (contentType: string | undefined) => TABLE_TYPES[(contentType ?? '').split(';')[0]!.trim().toLowerCase()];
const isStream = (body: unknown): body is NodeJS.ReadableStream => typeof (body as NodeJS.ReadableStream | undefined)?.pipe === 'function';
const tableBody = (json: z.ZodType) => media({
  'application/json': json,
  'text/csv': z.string().describe('a CSV table with a header row'),
  'application/vnd.apache.parquet': z.string().describe('a Parquet file'),
});
const FILE_TYPES = { parquet: 'application/vnd.apache.parquet', csv: 'text/csv; charset=utf-8', json: 'application/x-ndjson' } as const;

/** The request's table (a CSV/Parquet body, or JSON rows) as a file in a temp folder, for the length of `work`. */
async function withTable<T>(body: unknown, contentType: string | undefined, rows: (() => readonly Record<string, unknown>[]) | undefined, work: (file: LocalFile, dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-features-req-'));
  try {
    const type = tableType(contentType);
    let file: LocalFile;
    if (type) {
      if (!isStream(body)) throw invalid('Send the table as the request body');
      file = { local: path.join(dir, `table.${type}`), name: `table.${type}` };
      await pipeline(body, createWriteStream(file.local));
    } else {
      file = { local: path.join(dir, 'table.jsonl'), name: 'table.jsonl' };
      await fs.writeFile(file.local, rows!().map((r) => JSON.stringify(r)).join('\n'));
    }
    return await work(file, dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function featureRoutesV1(s: Services): Route[] {
  const f = s.features;
  return [
    {
      method: 'POST', path: '/features/apply',
      schema: { summary: 'Validate feature definitions (feature_repo/*.yaml as JSON), show the plan, and register it unless dryRun', tags, body: Apply, response: { 200: ApplyOut } },
      handler: ({ actor, body }) => f.apply(actor, parse(Apply, body)),
    },
    {
      method: 'GET', path: '/features/views',
      schema: { summary: 'Feature views with their freshness (materialized until, staleness against the TTL)', tags, querystring: ListQuery, response: { 200: ViewListOut } },
      handler: async ({ actor, query }) => ({ items: await f.listViews(actor, parse(ListQuery, query ?? {}).project) }),
    },
    {
      method: 'GET', path: '/features/views/:name',
      schema: { summary: 'A feature view: its definition, entity, versions and freshness', tags, params: ViewName, response: { 200: ViewDetailOut } },
      handler: ({ actor, params }) => f.getView(actor, parse(ViewName, params).name),
    },
    {
      method: 'POST', path: '/features/historical',
      schema: {
        summary: 'A point-in-time correct training set: entity rows (join keys, event_timestamp) with each feature as of the row\'s time; JSON rows, or a CSV/Parquet table answered as ?format= (Parquet by default)',
        tags, querystring: TableQuery.partial(), body: tableBody(Historical),
        response: { 200: media({ 'application/json': HistoricalOut, 'application/vnd.apache.parquet': z.string(), 'text/csv': z.string(), 'application/x-ndjson': z.string() }) },
      },
      handler: async ({ actor, body, query, headers, reply }) => {
        const fileBody = tableType(headers['content-type']) !== undefined;
        const json = fileBody ? undefined : parse(Historical, body);
        const q = fileBody ? parse(TableQuery, query) : undefined;
        const format = q?.format ?? (fileBody ? 'parquet' : 'json');
        return withTable(body, headers['content-type'], json && (() => json.entities), async (entities, dir) => {
          const out = path.join(dir, `training-set.${format}`);
          const name = json ? json.dataset : q?.dataset;
          const project = json?.project ?? q?.project;
          const result = await f.historical(actor, { entities, features: json?.features ?? q!.features, out: { path: out, format }, ...(name ? { dataset: { name, project } } : {}) });
          if (json) {
            const rows = (await fs.readFile(out, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
            return { ...result, rows };
          }
          const stat = await fs.stat(out);
          const stream = createReadStream(out);
          if (result.dataset) void reply.header('x-dataset-version', `${result.dataset.name}@${result.dataset.version}`);
          await reply.header('content-type', FILE_TYPES[format]).header('content-length', stat.size).header('x-training-set', result.trainingSet).header('x-row-count', result.rows).send(stream);
          return sent(reply);
        });
      },
    },
    {
      method: 'POST', path: '/features/materialize',
      schema: { summary: 'Load the newest value per entity in [start, end] (or since the watermark, incrementally) into the online store', tags, body: Materialize, response: { 200: MaterializeOut } },
      handler: async ({ actor, body }) => ({ items: await f.materialize(actor, parse(Materialize, body ?? {})) }),
    },
    {
      method: 'POST', path: '/features/online',
      schema: { summary: 'Online feature values for entities (join key → values), each with its status; values older than the TTL are withheld (OUTSIDE_MAX_AGE) with a warning', tags, body: Online, response: { 200: OnlineOut } },
      handler: ({ actor, body }) => f.online(actor, parse(Online, body)),
    },
    {
      method: 'GET', path: '/features/online',
      schema: { summary: 'Online feature values: ?features=view:feature,…&<join key>=<value> (repeat a join key for several entities)', tags, querystring: OnlineQuery, response: { 200: OnlineOut } },
      handler: ({ actor, query }) => {
        const { features, ...keys } = parse(OnlineQuery, query);
        return f.online(actor, { features, entities: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Array.isArray(v) ? v : [v as string]])) });
      },
    },
    {
      method: 'POST', path: '/features/skew',
      schema: {
        summary: 'Training–serving skew: logged serving values (join keys, event_timestamp, one column per feature) against the offline values for the same entities and times, per feature',
        tags, querystring: TableQuery.partial(), body: tableBody(Skew), response: { 200: SkewOut },
      },
      handler: ({ actor, body, query, headers }) => {
        const fileBody = tableType(headers['content-type']) !== undefined;
        const json = fileBody ? undefined : parse(Skew, body);
        const q = fileBody ? parse(TableQuery, query) : undefined;
        return withTable(body, headers['content-type'], json && (() => json.rows), (sample) =>
          f.skew(actor, { sample, features: json?.features ?? q!.features, tolerance: json?.tolerance ?? q?.tolerance ?? 1e-9 }));
      },
    },
    {
      method: 'POST', path: '/features/skew/logged',
      schema: {
        summary: "Training–serving skew over what a deployment's model saw: its newest logged predictions that carried parameters.feature_vector, each recomputed offline at the prediction's time",
        tags, body: LoggedSkew, response: { 200: LoggedSkewOut },
      },
      handler: ({ actor, body }) => f.skewFromLog(actor, parse(LoggedSkew, body)),
    },
  ];
}
