import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { EvidenceProvider } from '../registry/evidence.js';
import type { ServingStore } from './serving.store.js';

const Params = z.object({
  maxP99Ms: z.number().positive().optional(),
  minRps: z.number().positive().optional(),
  maxErrorRate: z.number().min(0).max(1).default(0),
  /** Results older than this many days do not count. */
  maxAgeDays: z.number().positive().optional(),
});

/**
 * Promotion-policy evidence from `openexpert loadtest`: the newest load test of the version must show
 * the throughput and p99 the policy asks for, e.g. `{provider: load-test, params: {maxP99Ms: 50, minRps: 500}}`.
 */
export function loadTestEvidence(store: ServingStore, now: () => number): EvidenceProvider {
  return async ({ version, params }) => {
    const parsed = Params.safeParse(params);
    if (!parsed.success) throw invalid(`load-test evidence params: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const p = parsed.data;
    const tests = await store.loadTests(version.name, String(version.version));
    const fresh = tests.filter((t) => p.maxAgeDays === undefined || now() - t.time <= p.maxAgeDays * 86_400_000);
    const latest = fresh[0];
    const base = { type: 'evidence', name: 'load-test' };
    if (!latest) return { ...base, passed: false, detail: `version ${version.version} has no load test${p.maxAgeDays !== undefined ? ` from the last ${p.maxAgeDays} days` : ''}; run \`openexpert loadtest\``, evidence: { tests: tests.length } };
    const errorRate = latest.requests > 0 ? (latest.errors + latest.non2xx) / latest.requests : 1;
    const problems = [
      ...(p.maxP99Ms !== undefined && latest.latencyMs.p99 > p.maxP99Ms ? [`p99 ${latest.latencyMs.p99} ms > ${p.maxP99Ms} ms`] : []),
      ...(p.minRps !== undefined && latest.throughputRps < p.minRps ? [`${latest.throughputRps} req/s < ${p.minRps} req/s`] : []),
      ...(errorRate > p.maxErrorRate ? [`error rate ${(errorRate * 100).toFixed(2)}% > ${(p.maxErrorRate * 100).toFixed(2)}%`] : []),
    ];
    const summary = `load test ${latest.id}: ${latest.throughputRps} req/s, p99 ${latest.latencyMs.p99} ms over ${latest.connections} connections`;
    return {
      ...base, passed: problems.length === 0, detail: problems.length === 0 ? summary : `${summary}: ${problems.join('; ')}`,
      evidence: { loadTestId: latest.id, throughputRps: latest.throughputRps, p99Ms: latest.latencyMs.p99, errorRate, time: latest.time },
    };
  };
}
