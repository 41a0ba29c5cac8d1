/**
 * LLM operations. Run with `npm run bench -- llmops` (or `npx tsx bench/llmops.ts`); prints JSON.
 *
 * - ingest: spans per second through `POST /api/v1/traces` on a real server (SQLite), batches of 500 spans
 *   (traces of 5 spans: an agent, two LLM calls with messages and usage, a tool, a retrieval), 4 clients at once;
 *   and the same spans as OTLP/protobuf to `/v1/traces`, encoded by the OpenTelemetry JS exporter's serializer.
 *   Redaction and costing are on, as in production.
 * - vectorSearch: recall@10 and latency of the vector stores on 100,000 vectors (see vectorBench).
 * - redaction: MB/s of `Redactor.redactText` over generated support-ticket text with PII in about one line in
 *   four, and over text with none (the common case for model outputs).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../src/config/config.js';
import { Redactor } from '../src/domain/llmops/redaction.js';
import { withPgUser } from '../src/store/db.js';
import { seededRandom } from '../src/domain/serving/router.js';
import { LanceDbStore } from '../src/sdk/rag/lancedb.js';
import { MemoryVectorStore } from '../src/sdk/rag/memory.js';
import { PgVectorStore } from '../src/sdk/rag/pgvector.js';
import type { VectorStore } from '../src/sdk/rag/types.js';
import { startServer } from '../src/main.js';

const BATCH = 500;
const CLIENTS = 4;

function spansOf(traceNo: number, t0: number) {
  const traceId = traceNo.toString(16).padStart(32, '0');
  const id = (n: number) => (traceNo * 8 + n).toString(16).padStart(16, '0');
  const messages = [{ role: 'system', content: 'You answer support tickets briefly.' }, { role: 'user', content: `Ticket ${traceNo}: my order arrived damaged, please call me back at +44 20 7946 0958 or write to customer${traceNo}@example.com.` }];
  return [
    { traceId, spanId: id(0), name: 'support-agent', kind: 'agent', startTime: t0, endTime: t0 + 2000, status: 'ok', userId: `u${traceNo % 100}`, input: { ticket: messages[1]!.content } },
    { traceId, spanId: id(1), parentSpanId: id(0), name: 'retrieve', kind: 'retrieval', startTime: t0 + 10, endTime: t0 + 80, status: 'ok', output: ['kb-12', 'kb-7', 'kb-99'] },
    { traceId, spanId: id(2), parentSpanId: id(0), name: 'chat gpt-4o-mini', kind: 'llm', startTime: t0 + 100, endTime: t0 + 900, status: 'ok', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 812, outputTokens: 96, promptName: 'triage', promptVersion: '3', input: messages, output: 'We are sorry; a replacement is on its way.' },
    { traceId, spanId: id(3), parentSpanId: id(0), name: 'create-return', kind: 'tool', startTime: t0 + 950, endTime: t0 + 1200, status: 'ok', input: { order: traceNo }, output: { rma: `R${traceNo}` } },
    { traceId, spanId: id(4), parentSpanId: id(0), name: 'chat claude-3-5-haiku', kind: 'llm', startTime: t0 + 1250, endTime: t0 + 1950, status: 'ok', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', inputTokens: 400, outputTokens: 60, input: messages, output: 'Return label sent.' },
  ];
}

/** The request body (and content headers) an OTLP exporter sends for these spans, caught by a local receiver. */
async function exportedBytes(
  exporterFor: (url: string) => { export(spans: ReadableSpan[], done: (r: { code: number; error?: Error }) => void): void; shutdown(): Promise<void> },
  spans: ReadableSpan[],
): Promise<{ body: Buffer; headers: Record<string, string> }> {
  let caught: { body: Buffer; headers: Record<string, string> } | undefined;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = { 'content-type': String(req.headers['content-type']) };
      if (req.headers['content-encoding']) headers['content-encoding'] = String(req.headers['content-encoding']);
      caught = { body: Buffer.concat(chunks), headers };
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  const exporter = exporterFor(url);
  try {
    await new Promise<void>((resolve, reject) => exporter.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error ?? new Error('export failed')))));
  } finally {
    await exporter.shutdown();
    await new Promise((r) => receiver.close(r));
  }
  if (!caught) throw new Error(`the exporter sent nothing to ${url}`);
  return caught;
}

async function ingestBench(): Promise<Record<string, number>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-llmops-'));
  const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }, {}));
  try {
    const t0 = Date.now() - 3_600_000;
    const batches = Array.from({ length: 40 }, (_, b) => Array.from({ length: BATCH / 5 }, (_, i) => spansOf(b * (BATCH / 5) + i + 1, t0 + b * 1000 + i)).flat());
    const post = (spans: unknown[]) => fetch(`${server.url}/api/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spans }) }).then(async (r) => {
      if (!r.ok) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    });
    await post(batches[0]!); // warm-up (compiles the redactor, primes the price table)
    let next = 1;
    const start = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < batches.length) await post(batches[next++]!);
    }));
    const nativeSecs = (performance.now() - start) / 1000;
    const native = ((batches.length - 1) * BATCH) / nativeSecs;

    // OTLP/protobuf: the OpenTelemetry JS protobuf exporter sends the batch once to a local receiver that keeps the
    // bytes, which are then replayed to the server: exactly what the exporter would send.
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tracer = provider.getTracer('bench');
    for (let i = 0; i < BATCH; i++) {
      const s = tracer.startSpan('chat gpt-4o-mini', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 812, 'gen_ai.usage.output_tokens': 96, 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `Ticket ${i}: call +44 20 7946 0958` }] }]) } });
      s.end();
    }
    const { body, headers } = await exportedBytes((url) => new OTLPTraceExporter({ url }), memory.getFinishedSpans());
    const rounds = 20;
    const otlpStart = performance.now();
    let done = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (done < rounds) {
        done++;
        const r = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers, body });
        if (!r.ok) throw new Error(`OTLP answered ${r.status}`);
      }
    }));
    const otlp = (rounds * BATCH) / ((performance.now() - otlpStart) / 1000);
    await provider.shutdown();
    return { nativeSpansPerSecond: Math.round(native), otlpProtobufSpansPerSecond: Math.round(otlp), batch: BATCH, clients: CLIENTS };
  } finally {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function redactionBench(): Record<string, number> {
  const lines: string[] = [];
  const clean: string[] = [];
  for (let i = 0; i < 40_000; i++) {
    const plain = `Ticket ${i}: the customer reports that the parcel from order ${100000 + i} arrived on 2024-05-0${(i % 9) + 1} with a broken hinge; version 3.2.${i % 10}.`;
    clean.push(plain);
    lines.push(i % 4 === 0 ? `${plain} Reach them at user${i}@example.com or +1 (415) 555-${String(1000 + (i % 9000)).padStart(4, '0')}, card 4111 1111 1111 1111, from 10.0.${i % 255}.7.` : plain);
  }
  const redactor = new Redactor();
  const measure = (text: string) => {
    redactor.redactText(text.slice(0, 100_000)); // warm-up
    const mb = Buffer.byteLength(text) / 1e6;
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      redactor.redactText(text);
      times.push(performance.now() - t);
    }
    return { mb, mbps: mb / ([...times].sort((a, b) => a - b)[1]! / 1000) };
  };
  const withPii = measure(lines.join('\n'));
  const without = measure(clean.join('\n'));
  return { withPiiMBPerSecond: Number(withPii.mbps.toFixed(2)), withoutPiiMBPerSecond: Number(without.mbps.toFixed(2)), textMB: Number(withPii.mb.toFixed(2)) };
}

const VECTORS = 100_000;
const DIMENSIONS = 64;
const QUERIES = 50;
const K = 10;

/**
 * Vector search on 100,000 clustered vectors (64 dimensions, 200 clusters, seeded): recall@10 against an exact
 * cosine top 10 computed here (Float32, independent of the stores), per-query latency (p50, p95, wall) and CPU time
 * per query, for each store available: the exact in-memory store, LanceDB on local disk without an index (exact
 * scan) and with its IVF-PQ index, and pgvector when the PostgreSQL here has the extension (skipped with the reason
 * otherwise).
 */
async function vectorBench(): Promise<Record<string, unknown>> {
  const rand = seededRandom(42);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centroids = Array.from({ length: 200 }, () => Array.from({ length: DIMENSIONS }, gauss));
  const vectors = Array.from({ length: VECTORS }, (_, i) => centroids[i % centroids.length]!.map((c) => c + 0.6 * gauss()));
  const queries = Array.from({ length: QUERIES }, () => vectors[Math.floor(rand() * VECTORS)]!.map((x) => x + 0.3 * gauss()));
  const ids = vectors.map((_, i) => `doc-${i}`);

  const unit = (v: readonly number[]) => {
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const flat = new Float32Array(VECTORS * DIMENSIONS);
  vectors.forEach((v, i) => flat.set(unit(v), i * DIMENSIONS));
  const truth = queries.map((q) => {
    const u = unit(q);
    const scores = new Float32Array(VECTORS);
    for (let i = 0; i < VECTORS; i++) {
      let dot = 0;
      for (let j = 0; j < DIMENSIONS; j++) dot += u[j]! * flat[i * DIMENSIONS + j]!;
      scores[i] = dot;
    }
    return new Set([...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, K).map((i) => ids[i]!));
  });

  const measure = async (store: VectorStore) => {
    await store.search(queries[0]!, K); // warm-up
    const times: number[] = [];
    let found = 0;
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let q = 0; q < QUERIES; q++) {
      const t = performance.now();
      const hits = await store.search(queries[q]!, K);
      times.push(performance.now() - t);
      found += hits.filter((h) => truth[q]!.has(h.id)).length;
    }
    const wallMs = performance.now() - wall;
    const used = process.cpuUsage(cpu);
    times.sort((a, b) => a - b);
    return {
      recallAt10: Number((found / (QUERIES * K)).toFixed(4)),
      p50Ms: Number(times[Math.floor(QUERIES * 0.5)]!.toFixed(2)), p95Ms: Number(times[Math.floor(QUERIES * 0.95)]!.toFixed(2)),
      cpuMsPerQuery: Number(((used.user + used.system) / 1000 / QUERIES).toFixed(2)), wallMsPerQuery: Number((wallMs / QUERIES).toFixed(2)),
    };
  };
  const load = async (store: VectorStore) => {
    const t = performance.now();
    for (let i = 0; i < VECTORS; i += 10_000) await store.upsert(vectors.slice(i, i + 10_000).map((vector, j) => ({ id: ids[i + j]!, vector })));
    return Number(((performance.now() - t) / 1000).toFixed(2));
  };

  const out: Record<string, unknown> = { vectors: VECTORS, dimensions: DIMENSIONS, queries: QUERIES, k: K };
  const memory = new MemoryVectorStore();
  out.memory = { loadSeconds: await load(memory), ...await measure(memory) };
  await memory.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-lance-'));
  try {
    const lance = await LanceDbStore.open({ uri: dir, table: 'bench' });
    const loadSeconds = await load(lance);
    out.lancedbExact = { loadSeconds, ...await measure(lance) };
    const t = performance.now();
    await lance.createIndex();
    out.lancedbIvfPq = { indexSeconds: Number(((performance.now() - t) / 1000).toFixed(2)), ...await measure(lance) };
    await lance.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const pgUrl = withPgUser(process.env.OPENEXPERT_TEST_PG ?? 'postgres://127.0.0.1:5432/test');
  const available = await PgVectorStore.available(pgUrl);
  if (available.ok) {
    const pgv = await PgVectorStore.open({ connectionString: pgUrl, table: 'oe_bench_vectors', dimensions: DIMENSIONS });
    out.pgvector = { loadSeconds: await load(pgv), ...await measure(pgv) };
    await pgv.close();
  } else {
    out.pgvector = { skipped: available.reason };
  }
  return out;
}

export async function runLlmopsBench(): Promise<Record<string, unknown>> {
  return { redaction: redactionBench(), ingest: await ingestBench(), vectorSearch: await vectorBench(), cpus: os.cpus().length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await runLlmopsBench(), null, 2));
