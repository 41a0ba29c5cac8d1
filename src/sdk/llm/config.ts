import { z } from 'zod';
import { AnthropicProvider } from './anthropic.js';
import { EchoProvider } from './echo.js';
import { OpenAiProvider } from './openai.js';
import type { LlmProvider } from './types.js';

/** A provider chosen by configuration: switching from OpenAI to Anthropic or a local model changes this, not code. */
export const ProviderConfigSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('openai'), baseUrl: z.url().default('https://api.openai.com/v1'), apiKey: z.string().optional(), model: z.string().min(1), timeoutMs: z.number().int().positive().optional() }),
  z.object({ provider: z.literal('anthropic'), baseUrl: z.url().default('https://api.anthropic.com'), apiKey: z.string().optional(), model: z.string().min(1), timeoutMs: z.number().int().positive().optional(), maxTokens: z.number().int().positive().optional() }),
  z.object({ provider: z.literal('echo'), model: z.string().min(1).default('echo-1') }),
]);
export type ProviderConfig = z.input<typeof ProviderConfigSchema>;

export function createProvider(config: ProviderConfig, options: { fetch?: typeof fetch } = {}): LlmProvider {
  const c = ProviderConfigSchema.parse(config);
  switch (c.provider) {
    case 'openai':
      return new OpenAiProvider({ baseUrl: c.baseUrl, model: c.model, ...(c.apiKey ? { apiKey: c.apiKey } : {}), ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
    case 'anthropic':
      return new AnthropicProvider({ baseUrl: c.baseUrl, model: c.model, ...(c.apiKey ? { apiKey: c.apiKey } : {}), ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}), ...(c.maxTokens ? { defaultMaxTokens: c.maxTokens } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
    case 'echo':
      return new EchoProvider({ model: c.model });
  }
}

/**
 * The provider the environment names: OPENEXPERT_LLM_PROVIDER (openai, anthropic, echo), OPENEXPERT_LLM_MODEL,
 * OPENEXPERT_LLM_BASE_URL, OPENEXPERT_LLM_API_KEY (else OPENAI_API_KEY / ANTHROPIC_API_KEY), OPENEXPERT_LLM_TIMEOUT_MS.
 */
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): LlmProvider {
  const provider = env.OPENEXPERT_LLM_PROVIDER ?? 'echo';
  const key = env.OPENEXPERT_LLM_API_KEY ?? (provider === 'openai' ? env.OPENAI_API_KEY : provider === 'anthropic' ? env.ANTHROPIC_API_KEY : undefined);
  return createProvider({
    provider, ...(env.OPENEXPERT_LLM_MODEL ? { model: env.OPENEXPERT_LLM_MODEL } : {}), ...(env.OPENEXPERT_LLM_BASE_URL ? { baseUrl: env.OPENEXPERT_LLM_BASE_URL } : {}),
    ...(key ? { apiKey: key } : {}), ...(env.OPENEXPERT_LLM_TIMEOUT_MS ? { timeoutMs: Number(env.OPENEXPERT_LLM_TIMEOUT_MS) } : {}),
  } as ProviderConfig);
}
