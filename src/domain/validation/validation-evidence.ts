import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { DatasetStore } from '../datasets/datasets.store.js';
import type { EvidenceProvider } from '../registry/evidence.js';

const Params = z.object({ suite: z.string().min(1).optional(), trustUserLineage: z.boolean().optional() }).strict();

/**
 * Promotion-policy evidence "the training data passed": every dataset version the version's source run
 * consumed must have a newest validation (of `suite`, when named) that succeeded, e.g.
 * `{type: evidence, provider: validation, params: {suite: churn}}`. Only edges the platform recorded count as the
 * run's inputs: an edge someone posted to the lineage API is a claim, trusted only with `trustUserLineage: true`.
 */
export function validationEvidence(store: DatasetStore): EvidenceProvider {
  return async ({ run, params }) => {
    const parsed = Params.safeParse(params);
    if (!parsed.success) throw invalid(`validation evidence params: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const { suite, trustUserLineage } = parsed.data;
    const base = { type: 'evidence', name: 'validation' };
    if (!run) return { ...base, passed: false, detail: 'the version has no source run, so its training data is unknown', evidence: {} };
    const upstream = await store.traverse({ kind: 'run', id: run.info.runId }, 'upstream', 1);
    const inputs = [...new Map(upstream.edges
      .filter((e) => e.from.kind === 'dataset_version' && e.to.kind === 'run' && e.to.id === run.info.runId && (e.origin === 'platform' || trustUserLineage === true))
      .map((e) => [e.from.id, e.from])).values()];
    if (inputs.length === 0) return { ...base, passed: false, detail: `run ${run.info.runId} records no input dataset version`, evidence: { datasets: [] } };
    const datasets = await Promise.all(inputs.map(async (n) => {
      const version = await store.getVersionById(n.id);
      const latest = (await store.listValidations(n.id)).find((v) => suite === undefined || v.suiteName === suite);
      return { dataset: version ? `${version.name}@${version.version}` : n.id, validationId: latest?.id ?? null, suite: latest?.suiteName ?? null, success: latest?.success ?? false };
    }));
    const problems = datasets.filter((d) => !d.success).map((d) => (d.validationId === null ? `${d.dataset} has no validation${suite ? ` of suite '${suite}'` : ''}` : `${d.dataset} failed suite '${d.suite}'`));
    return {
      ...base, passed: problems.length === 0,
      detail: problems.length === 0 ? `${datasets.map((d) => d.dataset).join(', ')} passed validation` : problems.join('; '),
      evidence: { datasets },
    };
  };
}
