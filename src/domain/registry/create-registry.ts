import type { Clock } from '../../core/clock.js';
import type { Access } from '../access/access.js';
import type { ApproverDirectory } from './checks.js';
import { EvidenceProviders } from './evidence.js';
import type { PromotionPolicy } from './policy.js';
import { PromotionService, type RunReader } from './promotion.service.js';
import type { PromotionStore, RegistryStore } from './registry.store.js';
import { RegistryService, type ArtifactTextReader, type LoggedModelReader } from './registry.service.js';

export interface RegistryDeps {
  readonly registryStore: RegistryStore;
  readonly promotionStore: PromotionStore;
  readonly runs: RunReader;
  readonly loggedModels: LoggedModelReader;
  readonly artifacts: ArtifactTextReader;
  readonly defaultPolicy: PromotionPolicy;
  readonly access: Access;
  readonly clock: Clock;
  /** Who may count as an approver (auth on). */
  readonly approvers?: ApproverDirectory;
}

/** The registry's services, wired once; other modules add evidence providers to `evidenceProviders` at start-up. */
export function createRegistry(deps: RegistryDeps) {
  const evidenceProviders = new EvidenceProviders();
  const promotion = new PromotionService(
    deps.registryStore, deps.promotionStore, deps.runs, evidenceProviders, deps.defaultPolicy, deps.access, deps.clock, deps.approvers,
  );
  const registry = new RegistryService(deps.registryStore, promotion, deps.loggedModels, deps.artifacts, deps.runs, deps.access, deps.clock);
  return { registry, promotion, evidenceProviders };
}
