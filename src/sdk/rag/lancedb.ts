import type * as LanceDb from '@lancedb/lancedb';
import { checkVector, VectorStoreError, type VectorDocument, type VectorHit, type VectorStore } from './types.js';

type LanceModule = typeof LanceDb;
type Connection = Awaited<ReturnType<LanceModule['connect']>>;
type Table = Awaited<ReturnType<Connection['openTable']>>;

export interface LanceDbOptions {
  /** A local folder (created when missing) or an object-store URI such as `s3://bucket/path`. */
  readonly uri: string;
  readonly table?: string;
  /** Passed to LanceDB: credentials, region, endpoint of an S3-compatible store, … */
  readonly storageOptions?: Readonly<Record<string, string>>;
  /**
   * How a search uses an IVF-PQ index once `createIndex()` built one: `nprobes` partitions are searched (default
   * 20) and `refineFactor` × k candidates are re-scored with their exact vectors (default 10). PQ codes alone are
   * coarse (64 dimensions in 4 bytes): without re-scoring, recall@10 was 0.59 on uniform random vectors and 0.03 on
   * clustered ones (bench/llmops); with it, 1.0 on both at about 5 ms a query over 100,000 vectors.
   */
  readonly search?: { readonly nprobes?: number; readonly refineFactor?: number };
}

/** Named through a variable so bundlers (the CLI's, an application's) leave the native package to Node. */
const LANCEDB = '@lancedb/lancedb';

async function lance(): Promise<LanceModule> {
  // LanceDB logs warnings (such as "no dataset yet, it will be created" on every new table) to stderr unless told
  // otherwise when it loads; errors only, unless the caller set LANCEDB_LOG.
  process.env.LANCEDB_LOG ??= 'error';
  try {
    return (await import(LANCEDB)) as LanceModule;
  } catch (err) {
    throw new VectorStoreError(`the LanceDB store needs the @lancedb/lancedb package (npm install @lancedb/lancedb@0.31.0): ${(err as Error).message}`);
  }
}

/**
 * LanceDB, embedded: the table lives in a folder on local disk (or on S3 at scale), no server to run. Search is
 * exact (a full scan scoring every vector) until an ANN index is built with `createIndex()`.
 */
export class LanceDbStore implements VectorStore {
  readonly kind = 'lancedb';

  private constructor(
    private readonly db: Connection, private readonly tableName: string, private table: Table | undefined, private dimensions: number | undefined,
    private readonly tuning: { readonly nprobes: number; readonly refineFactor: number },
  ) {}

  static async open(opts: LanceDbOptions): Promise<LanceDbStore> {
    const { connect } = await lance();
    const db = await connect(opts.uri, opts.storageOptions ? { storageOptions: { ...opts.storageOptions } } : {});
    const name = opts.table ?? 'documents';
    const tuning = { nprobes: opts.search?.nprobes ?? 20, refineFactor: opts.search?.refineFactor ?? 10 };
    if (!(await db.tableNames()).includes(name)) return new LanceDbStore(db, name, undefined, undefined, tuning);
    const table = await db.openTable(name);
    const field = (await table.schema()).fields.find((f) => f.name === 'vector');
    const size = (field?.type as { listSize?: number } | undefined)?.listSize;
    return new LanceDbStore(db, name, table, size, tuning);
  }

  async upsert(docs: readonly VectorDocument[]): Promise<void> {
    if (docs.length === 0) return;
    this.dimensions ??= docs[0]!.vector.length;
    const rows = docs.map((d) => {
      checkVector(d.vector, this.dimensions!, `document '${d.id}'`);
      return { id: d.id, text: d.text ?? '', vector: [...d.vector] };
    });
    if (!this.table) {
      this.table = await this.db.createTable(this.tableName, rows);
      return;
    }
    await this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows);
  }

  async search(vector: readonly number[], k: number): Promise<VectorHit[]> {
    if (!this.table) return [];
    checkVector(vector, this.dimensions!, 'the query vector');
    const rows = await this.table.vectorSearch([...vector]).distanceType('cosine').nprobes(this.tuning.nprobes).refineFactor(this.tuning.refineFactor)
      .select(['id', 'text', '_distance']).limit(k).toArray() as { id: string; text: string; _distance: number }[];
    return rows.map((r) => ({ id: r.id, score: 1 - r._distance, ...(r.text ? { text: r.text } : {}) }));
  }

  /** An approximate (IVF-PQ) index on the vectors, for tables too large to scan on every query. */
  async createIndex(): Promise<void> {
    if (!this.table) throw new VectorStoreError('the table is empty: add documents before building an index');
    const { Index } = await lance();
    await this.table.createIndex('vector', { config: Index.ivfPq({ distanceType: 'cosine' }), replace: true });
  }

  async count(): Promise<number> {
    return this.table ? this.table.countRows() : 0;
  }

  async close(): Promise<void> {
    this.table?.close();
    this.db.close();
  }
}
