import type { Price } from './types.js';

/**
 * Prices a fresh server starts with (US dollars per million tokens, the providers' published list prices when this
 * table was written). They change: `PUT /api/v1/llm/prices` replaces the table, and a span that carries its own
 * cost keeps it.
 */
export const DEFAULT_PRICES: readonly Price[] = [
  { provider: 'openai', model: 'gpt-4o', inputPerMillion: 2.5, outputPerMillion: 10 },
  { provider: 'openai', model: 'gpt-4o-2024-*', inputPerMillion: 2.5, outputPerMillion: 10 },
  { provider: 'openai', model: 'gpt-4o-mini*', inputPerMillion: 0.15, outputPerMillion: 0.6 },
  { provider: 'openai', model: 'gpt-4.1', inputPerMillion: 2, outputPerMillion: 8 },
  { provider: 'openai', model: 'gpt-4.1-mini', inputPerMillion: 0.4, outputPerMillion: 1.6 },
  { provider: 'anthropic', model: 'claude-3-5-sonnet*', inputPerMillion: 3, outputPerMillion: 15 },
  { provider: 'anthropic', model: 'claude-3-5-haiku*', inputPerMillion: 0.8, outputPerMillion: 4 },
  { provider: 'anthropic', model: 'claude-sonnet-4*', inputPerMillion: 3, outputPerMillion: 15 },
  { provider: 'echo', model: '*', inputPerMillion: 0, outputPerMillion: 0 },
];

/** Providers name themselves differently across conventions (gen_ai.system was `az.ai.openai`, `aws.bedrock`, …). */
const normalizeProvider = (p: string) => p.toLowerCase().replace(/^azure\.ai\.openai$|^az\.ai\.openai$/, 'openai');

/**
 * The price of a model: an exact entry first, then the longest prefix entry (`gpt-4o-mini*`); the provider must
 * match when both sides name one, and a span without a provider matches any provider's entry for its model.
 */
export function priceFor(prices: readonly Price[], provider: string | undefined, model: string): Price | undefined {
  const p = provider === undefined ? undefined : normalizeProvider(provider);
  const candidates = prices.filter((e) => p === undefined || normalizeProvider(e.provider) === p);
  const exact = candidates.find((e) => e.model === model);
  if (exact) return exact;
  let best: Price | undefined;
  for (const e of candidates) {
    if (!e.model.endsWith('*')) continue;
    const prefix = e.model.slice(0, -1);
    if (model.startsWith(prefix) && (best === undefined || prefix.length > best.model.length - 1)) best = e;
  }
  return best;
}

/** Dollars for a call; undefined when the model has no price or the call reported no tokens. */
export function costOf(prices: readonly Price[], call: { provider?: string | undefined; model?: string | undefined; inputTokens?: number | undefined; outputTokens?: number | undefined }): number | undefined {
  if (call.model === undefined || (call.inputTokens === undefined && call.outputTokens === undefined)) return undefined;
  const price = priceFor(prices, call.provider, call.model);
  if (!price) return undefined;
  return ((call.inputTokens ?? 0) * price.inputPerMillion + (call.outputTokens ?? 0) * price.outputPerMillion) / 1_000_000;
}

/** Start and end (exclusive) of the UTC day or month containing `at`. */
export function periodBounds(period: 'day' | 'month', at: number): { from: number; to: number } {
  const d = new Date(at);
  if (period === 'day') {
    const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { from, to: from + 86_400_000 };
  }
  return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}
