import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { clientUrl } from '../config/config.js';
import { invalid } from '../core/errors.js';
import type { Evaluation } from '../domain/evaluation/types.js';
import { RetrievalQuerySchema, RetrievedSchema, type RetrievalQuery, type RetrievedList } from '../domain/llmops/retrieval-evaluation.js';
import { HashingEmbedder, HttpEmbedder } from '../sdk/rag/embedders.js';
import { retrieveAll } from '../sdk/rag/evaluations.js';
import { LanceDbStore } from '../sdk/rag/lancedb.js';
import { PgVectorStore } from '../sdk/rag/pgvector.js';
import { VectorRetriever, type Embedder, type VectorStore } from '../sdk/rag/types.js';
import { printEvaluation } from './evaluate.command.js';
import { common, registryApi, type Common } from './models.command.js';
import { printJson, printTable } from './output.js';
import { timeOption } from './traces.command.js';

interface StoreOptions {
  lancedb?: string;
  pgvector?: string;
  table: string;
  dimensions: string;
  embeddingModel?: string;
  embeddingBaseUrl?: string;
}

/** Records of a JSON Lines file (or a JSON array), each checked by the schema; errors name the line. */
function readRecords<T>(file: string, parse: (value: unknown) => T): T[] {
  if (!fs.existsSync(file)) throw invalid(`No file at '${file}'`);
  const text = fs.readFileSync(file, 'utf8');
  const trimmed = text.trimStart();
  const values: { line: number; value: unknown }[] = [];
  if (trimmed.startsWith('[')) {
    (JSON.parse(trimmed) as unknown[]).forEach((value, i) => values.push({ line: i + 1, value }));
  } else {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        values.push({ line: i + 1, value: JSON.parse(line) });
      } catch (err) {
        throw invalid(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
      }
    });
  }
  return values.map(({ line, value }) => {
    try {
      return parse(value);
    } catch (err) {
      throw invalid(`${file}:${line}: ${(err as Error).message}`);
    }
  });
}

const schemaParse = <S extends z.ZodType>(schema: S) => (v: unknown): z.output<S> => {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Error(`'${issue.path.map(String).join('.') || 'record'}': ${issue.message}`);
};

const DocSchema = z.object({
  id: z.string().min(1).max(1000),
  text: z.string().optional(),
  vector: z.array(z.number().finite()).optional(),
}).strict().refine((d) => d.text !== undefined || d.vector !== undefined, 'give the text to embed or a vector');

function embedderOf(opts: StoreOptions): Embedder {
  const dimensions = Number(opts.dimensions);
  if (!Number.isInteger(dimensions) || dimensions < 2) throw invalid(`--dimensions must be an integer of at least 2, got '${opts.dimensions}'`);
  if (!opts.embeddingModel) return new HashingEmbedder({ dimensions });
  const apiKey = process.env.OPENEXPERT_EMBEDDING_API_KEY ?? process.env.OPENAI_API_KEY;
  return new HttpEmbedder({ model: opts.embeddingModel, dimensions, ...(opts.embeddingBaseUrl ? { baseUrl: opts.embeddingBaseUrl } : {}), ...(apiKey ? { apiKey } : {}) });
}

async function openStore(opts: StoreOptions, dimensions: number): Promise<VectorStore> {
  if ((opts.lancedb === undefined) === (opts.pgvector === undefined)) throw invalid('give the vector store: --lancedb <folder or s3://…> or --pgvector <postgres URL>');
  if (opts.lancedb) return LanceDbStore.open({ uri: opts.lancedb, table: opts.table });
  return PgVectorStore.open({ connectionString: opts.pgvector!, table: opts.table, dimensions });
}

function storeOptions(cmd: Command): Command {
  return cmd
    .option('--lancedb <uri>', 'LanceDB: a local folder (created when missing) or s3://bucket/path')
    .option('--pgvector <url>', 'PostgreSQL with the vector extension, postgres://…')
    .option('--table <name>', 'table of the documents', 'documents')
    .option('--dimensions <n>', 'vector length of the embedder', '256')
    .option('--embedding-model <model>', 'embed with an OpenAI-compatible /embeddings endpoint (key in $OPENEXPERT_EMBEDDING_API_KEY or $OPENAI_API_KEY) instead of the built-in hashing embedder')
    .option('--embedding-base-url <url>', 'base URL of that endpoint (default https://api.openai.com/v1)');
}

const storeName = (opts: StoreOptions) => (opts.lancedb ? `lancedb ${opts.lancedb}` : 'pgvector') + ` table ${opts.table}`;

async function withStore<T>(opts: StoreOptions, work: (store: VectorStore, embedder: Embedder) => Promise<T>): Promise<T> {
  const embedder = embedderOf(opts);
  const store = await openStore(opts, embedder.dimensions);
  try {
    return await work(store, embedder);
  } finally {
    await store.close();
  }
}

export function registerRagCommand(program: Command): void {
  const rag = program.command('rag').description('RAG retrieval: index documents in a vector store (LanceDB, pgvector), search it, evaluate recall@k, nDCG and MRR on a question set');

  storeOptions(rag.command('index <docs>').description('Add the documents of a JSON Lines file ({"id", "text"} or {"id", "vector"} per line) to the store; an id already there is replaced'))
    .option('--json', 'print JSON')
    .action(async (file: string, opts: StoreOptions & { json?: boolean }) => {
      const docs = readRecords(file, schemaParse(DocSchema));
      await withStore(opts, async (store, embedder) => {
        const toEmbed = docs.filter((d) => !d.vector);
        const vectors = new Map<string, number[]>();
        for (let i = 0; i < toEmbed.length; i += 256) {
          const batch = toEmbed.slice(i, i + 256);
          (await embedder.embed(batch.map((d) => d.text!))).forEach((v, j) => vectors.set(batch[j]!.id, v));
        }
        await store.upsert(docs.map((d) => ({ id: d.id, vector: d.vector ?? vectors.get(d.id)!, ...(d.text !== undefined ? { text: d.text } : {}) })));
        const count = await store.count();
        if (opts.json) return printJson({ indexed: docs.length, count, embedder: embedder.name });
        console.log(`indexed ${docs.length} documents into ${storeName(opts)} (${count} in the table, embedder ${embedder.name})`);
      });
    });

  storeOptions(rag.command('search <question>').description('The documents nearest a question by cosine similarity, best first'))
    .option('-k, --k <n>', 'how many', '5')
    .option('--json', 'print JSON')
    .action(async (question: string, opts: StoreOptions & { k: string; json?: boolean }) => {
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1) throw invalid(`--k must be a positive integer, got '${opts.k}'`);
      await withStore(opts, async (store, embedder) => {
        const hits = await new VectorRetriever(store, embedder).retrieve(question, k);
        if (opts.json) return printJson(hits);
        printTable(hits.map((h, i) => ({ ...h, rank: i + 1 })), [
          { header: 'RANK', value: (h) => h.rank },
          { header: 'ID', value: (h) => h.id },
          { header: 'SCORE', value: (h) => h.score.toFixed(4) },
          { header: 'TEXT', value: (h) => (h.text ?? '').slice(0, 60) },
        ]);
      });
    });

  common(storeOptions(rag.command('evaluate <questions>').description('Evaluate retrieval on a question set (JSON Lines: {"id", "text", "relevant": [ids] or {id: grade}}): recall@k, precision@k, hit rate@k, nDCG@k, MRR, MAP; stored on the server as an evaluation')))
    .option('--retrieved <file>', 'what the retriever returned, logged elsewhere (JSON Lines: {"queryId", "documents": [ids best first]}) instead of querying a store')
    .option('--from-traces', 'take what was retrieved from logged traces: each question\'s latest retrieval span, matched by its text (or the attribute openexpert.query.id)')
    .option('--project <name>', 'with --from-traces: the project of the traces (default: default)')
    .option('--span-name <name>', 'with --from-traces: only retrieval spans of this name')
    .option('--since <time>', 'with --from-traces: spans started at or after (ISO 8601 or an age: 2h, 7d)', timeOption)
    .option('--until <time>', 'with --from-traces: spans started at or before', timeOption)
    .option('--k <list>', 'cut-offs', '1,3,5,10')
    .option('--dataset <name>', 'name of the question set (what a promotion policy names)', 'retrieval-set')
    .option('--name <name>', 'name of the evaluation')
    .option('--run <id>', 'log the metrics to this run')
    .option('--model <name>', 'the registered model or prompt whose retrieval this is')
    .option('--model-version <n>', 'its version (the evaluation becomes its promotion evidence)')
    .option('--resamples <n>', 'bootstrap resamples over questions (0 turns intervals off)', '1000')
    .option('--seed <n>', 'bootstrap seed', '0')
    .action(async (file: string, opts: StoreOptions & Common & {
      retrieved?: string; fromTraces?: boolean; project?: string; spanName?: string; since?: number; until?: number; k: string; dataset: string; name?: string; run?: string; model?: string; modelVersion?: string; resamples: string; seed: string;
    }) => {
      const k = opts.k.split(',').map((x) => Number(x.trim()));
      if (k.some((x) => !Number.isInteger(x) || x < 1)) throw invalid(`--k must list positive integers, e.g. 1,3,5,10; got '${opts.k}'`);
      if ((opts.model === undefined) !== (opts.modelVersion === undefined)) throw invalid('--model and --model-version go together');
      const queries: RetrievalQuery[] = readRecords(file, schemaParse(RetrievalQuerySchema));
      let retrieved: RetrievedList[] | undefined;
      const fromTraces = opts.fromTraces === true;
      if (!fromTraces && [opts.project, opts.spanName, opts.since, opts.until].some((o) => o !== undefined)) throw invalid('--project, --span-name, --since and --until go with --from-traces');
      if (fromTraces) {
        if (opts.retrieved || opts.lancedb || opts.pgvector) throw invalid('give --from-traces, --retrieved or a store (--lancedb, --pgvector), one of them');
      } else if (opts.retrieved) {
        if (opts.lancedb || opts.pgvector) throw invalid('give --retrieved or a store (--lancedb, --pgvector), not both');
        retrieved = readRecords(opts.retrieved, schemaParse(RetrievedSchema));
      } else {
        const missing = queries.find((q) => q.text === undefined);
        if (missing) throw invalid(`${file}: question '${missing.id}' has no text to search with`);
        retrieved = await withStore(opts, (store, embedder) => retrieveAll(queries, new VectorRetriever(store, embedder), Math.max(...k)));
      }
      const body = {
        dataset: opts.dataset, queries, k,
        ...(fromTraces
          ? { fromTraces: { ...(opts.project ? { project: opts.project } : {}), ...(opts.spanName ? { spanName: opts.spanName } : {}), ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}) } }
          : { retrieved }),
        bootstrap: { resamples: Number(opts.resamples), seed: Number(opts.seed) },
        ...(opts.name ? { name: opts.name } : {}), ...(opts.run ? { runId: opts.run } : {}),
        ...(opts.model ? { model: { name: opts.model, version: Number(opts.modelVersion) } } : {}),
      };
      const evaluation = await registryApi(opts)<Evaluation>('POST', '/api/v1/evaluations/retrieval', { body });
      if (opts.json) return printJson(evaluation);
      printEvaluation(evaluation, clientUrl(opts.url));
    });
}
