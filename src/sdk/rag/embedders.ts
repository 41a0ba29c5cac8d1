import { VectorStoreError, type Embedder } from './types.js';

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A lexical embedder that needs nothing: lower-cased words (and word pairs) hashed into `dimensions` buckets with a
 * sign bit (the hashing trick), scaled to unit length. Documents sharing words with the question score higher —
 * a baseline to measure real embedders against, and what tests and offline examples use. Deterministic.
 */
export class HashingEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;

  constructor(opts: { dimensions?: number; bigrams?: boolean } = {}) {
    this.dimensions = opts.dimensions ?? 256;
    this.bigrams = opts.bigrams ?? true;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 2) throw new VectorStoreError('dimensions must be an integer of at least 2');
    this.name = `hashing-${this.dimensions}${this.bigrams ? '' : '-unigram'}`;
  }

  private readonly bigrams: boolean;

  embedOne(text: string): number[] {
    const v = new Array<number>(this.dimensions).fill(0);
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const add = (token: string) => {
      const h = fnv1a(token);
      v[h % this.dimensions]! += (h >>> 31) === 1 ? -1 : 1;
    };
    words.forEach((w, i) => {
      add(w);
      if (this.bigrams && i > 0) add(`${words[i - 1]} ${w}`);
    });
    const norm = Math.hypot(...v);
    return norm === 0 ? v : v.map((x) => x / norm);
  }

  embed(texts: readonly string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }
}

/** OpenAI-compatible embeddings (`POST {baseUrl}/embeddings`): OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM. */
export class HttpEmbedder implements Embedder {
  readonly name: string;

  constructor(private readonly opts: { model: string; dimensions: number; baseUrl?: string; apiKey?: string; timeoutMs?: number; fetch?: typeof fetch }) {
    this.name = opts.model;
  }

  get dimensions(): number {
    return this.opts.dimensions;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    const base = (this.opts.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
    const res = await (this.opts.fetch ?? fetch)(`${base}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.opts.model, input: texts }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
    });
    if (!res.ok) throw new VectorStoreError(`embeddings request failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { data?: { index: number; embedding: number[] }[] };
    const data = [...(body.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== texts.length) throw new VectorStoreError(`embeddings request answered ${data.length} vectors for ${texts.length} texts`);
    return data.map((d) => d.embedding);
  }
}
