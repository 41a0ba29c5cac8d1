import type pg from 'pg';
import { checkVector, VectorStoreError, type VectorDocument, type VectorHit, type VectorStore } from './types.js';

export interface PgVectorOptions {
  readonly connectionString: string;
  readonly table?: string;
  readonly dimensions: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const literal = (v: readonly number[]) => `[${v.join(',')}]`;

/**
 * pgvector in PostgreSQL: a table (id, text, embedding vector(d)) searched with the cosine distance operator `<=>`.
 * Needs the `vector` extension on the server; opening fails with a VectorStoreError saying so when it is missing.
 */
export class PgVectorStore implements VectorStore {
  readonly kind = 'pgvector';

  private constructor(private readonly pool: pg.Pool, private readonly table: string, private readonly dimensions: number) {}

  /** Whether the server can load pgvector, and why not. */
  static async available(connectionString: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString });
    try {
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  static async open(opts: PgVectorOptions): Promise<PgVectorStore> {
    const table = opts.table ?? 'documents';
    if (!IDENT.test(table)) throw new VectorStoreError(`table '${table}' must be a plain lower-case SQL name`);
    if (!Number.isInteger(opts.dimensions) || opts.dimensions < 1) throw new VectorStoreError('dimensions must be a positive integer');
    const { default: pgModule } = await import('pg');
    const pool = new pgModule.Pool({ connectionString: opts.connectionString, max: 4 });
    try {
      await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (err) {
      await pool.end();
      throw new VectorStoreError(`pgvector is not available on this PostgreSQL (CREATE EXTENSION vector failed: ${(err as Error).message})`);
    }
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, text text NOT NULL DEFAULT '', embedding vector(${opts.dimensions}) NOT NULL)`);
    return new PgVectorStore(pool, table, opts.dimensions);
  }

  async upsert(docs: readonly VectorDocument[]): Promise<void> {
    for (let i = 0; i < docs.length; i += 500) {
      const batch = docs.slice(i, i + 500);
      batch.forEach((d) => checkVector(d.vector, this.dimensions, `document '${d.id}'`));
      const values = batch.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3}::vector)`).join(', ');
      await this.pool.query(
        `INSERT INTO ${this.table} (id, text, embedding) VALUES ${values} ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, embedding = EXCLUDED.embedding`,
        batch.flatMap((d) => [d.id, d.text ?? '', literal(d.vector)]),
      );
    }
  }

  async search(vector: readonly number[], k: number): Promise<VectorHit[]> {
    checkVector(vector, this.dimensions, 'the query vector');
    const { rows } = await this.pool.query<{ id: string; text: string; distance: number }>(
      `SELECT id, text, embedding <=> $1::vector AS distance FROM ${this.table} ORDER BY embedding <=> $1::vector, id LIMIT $2`, [literal(vector), k],
    );
    return rows.map((r) => ({ id: r.id, score: 1 - Number(r.distance), ...(r.text ? { text: r.text } : {}) }));
  }

  async count(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`)).rows[0]!.n);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
