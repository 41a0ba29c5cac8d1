import { renderTemplate, type Template } from '../domain/prompts/template.js';
import type { PromptDetail, PromptDiff, PromptSummary, PromptVersion, PushInput, PushResult } from '../domain/prompts/types.js';
import type { PromotionRequest } from '../domain/registry/types.js';
import type { HttpClient } from './http.js';

const enc = encodeURIComponent;

/** A prompt version as loaded, with its template filled in here (no round trip per call). */
export interface LoadedPrompt extends PromptVersion {
  /** The template with every variable given a value; a missing or unknown variable throws. */
  format(values: Readonly<Record<string, string | number | boolean>>): Template;
}

/**
 * The prompt registry: versions pushed from files (or by MLflow's client), labels, diffs. Load what an application
 * runs by label, so promoting a new version changes it without a deploy:
 *
 * ```ts
 * const prompt = await oe.prompts.load('summarize', 'production');
 * const text = prompt.format({ audience: 'engineers', ticket });
 * ```
 */
export class Prompts {
  constructor(private readonly http: HttpClient) {}

  async list(opts: { name?: string } = {}): Promise<PromptSummary[]> {
    return (await this.http.request<{ items: PromptSummary[] }>('GET', '/api/v1/prompts', { query: { name: opts.name } })).items;
  }

  get(name: string): Promise<PromptDetail> {
    return this.http.request('GET', `/api/v1/prompts/${enc(name)}`);
  }

  /** A version by number or label (`production`; `latest` is the newest). */
  version(name: string, ref: string | number = 'latest'): Promise<PromptVersion> {
    return this.http.request('GET', `/api/v1/prompts/${enc(name)}/versions/${enc(String(ref))}`);
  }

  async load(name: string, ref: string | number = 'latest'): Promise<LoadedPrompt> {
    const v = await this.version(name, ref);
    return { ...v, format: (values) => renderTemplate(v.template, values) };
  }

  /** A new version when the content differs from the newest one; the newest otherwise (`action: 'unchanged'`). */
  push(input: PushInput): Promise<PushResult> {
    return this.http.request('POST', '/api/v1/prompts', { body: input });
  }

  diff(name: string, from: string | number, to: string | number): Promise<PromptDiff> {
    return this.http.request('GET', `/api/v1/prompts/${enc(name)}/diff`, { query: { from: String(from), to: String(to) } });
  }

  /** Moves a label: a promotion request, `completed` when the prompt's policy lets it through at once, `pending` otherwise. */
  setLabel(name: string, label: string, version: number, opts: { reason?: string } = {}): Promise<Omit<PromotionRequest, 'target'> & { target: string }> {
    return this.http.request('PUT', `/api/v1/prompts/${enc(name)}/labels/${enc(label)}`, { body: { version, ...(opts.reason ? { reason: opts.reason } : {}) } });
  }

  async deleteLabel(name: string, label: string): Promise<void> {
    await this.http.request('DELETE', `/api/v1/prompts/${enc(name)}/labels/${enc(label)}`);
  }
}
