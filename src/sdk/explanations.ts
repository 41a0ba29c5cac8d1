import type { ExplainRequest } from '../domain/explain/explain.service.js';
import type { Explanation, ExplanationSummary } from '../domain/explain/types.js';
import type { HttpClient } from './http.js';

const enc = encodeURIComponent;

/** The request as a caller writes it: every tuning option has the server's default. */
export type ExplainOptions = Pick<ExplainRequest, 'model' | 'version' | 'data'> & Partial<Omit<ExplainRequest, 'model' | 'version' | 'data'>>;

/**
 * Feature attributions of registered model versions, computed on the server by running the model.
 *
 * ```ts
 * const e = await oe.explanations.explain({ model: 'churn', version: 'champion', data: { columns }, label: 'churned' });
 * e.result.kernelShap?.global; // mean |φ| per feature
 * ```
 */
export class Explanations {
  constructor(private readonly http: HttpClient) {}

  explain(request: ExplainOptions): Promise<Explanation> {
    return this.http.request<Explanation>('POST', '/api/v1/explanations', { body: request });
  }

  get(id: string): Promise<Explanation> {
    return this.http.request<Explanation>('GET', `/api/v1/explanations/${enc(id)}`);
  }

  /** A model's explanations (of one version when given), newest first, following page tokens. */
  async list(model: string, version?: number): Promise<ExplanationSummary[]> {
    const out: ExplanationSummary[] = [];
    let pageToken: string | undefined;
    do {
      const page: { items: ExplanationSummary[]; nextPageToken?: string } = await this.http.request('GET', '/api/v1/explanations', {
        query: { model, ...(version !== undefined ? { version: String(version) } : {}), pageToken },
      });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }
}
