import type { EvidenceProvider } from '../registry/evidence.js';
import type { ReproducibilityService } from './reproducibility.service.js';
import type { Tolerance } from './schemas.js';

/** The registry's `reproduced` check asks this provider; the check's `tolerance` and `by` arrive as params. */
export function reproducedEvidence(service: Pick<ReproducibilityService, 'reproducedEvidence'>): EvidenceProvider {
  return async (ctx) => {
    const base = { type: 'evidence' as const, name: 'reproduced' };
    if (!ctx.run) return { ...base, passed: false, detail: `version ${ctx.version.version} has no source run that could have been reproduced`, evidence: {} };
    const by = ctx.params.by === 'anyone' ? 'anyone' : 'other_than_author';
    const tolerance = ctx.params.tolerance as Tolerance | string | undefined;
    return { ...base, ...(await service.reproducedEvidence(ctx.run, { tolerance, by })) };
  };
}
