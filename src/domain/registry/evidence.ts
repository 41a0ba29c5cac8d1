import { invalid } from '../../core/errors.js';
import type { Actor } from '../../core/actor.js';
import type { Run } from '../tracking/types.js';
import type { CheckResult, ModelVersion, RegisteredModel, Target } from './types.js';

/** What an evidence provider sees when a policy's `evidence` check runs. */
export interface EvidenceContext {
  readonly actor: Actor;
  readonly model: RegisteredModel;
  readonly version: ModelVersion;
  readonly target: Target;
  /** The version's source run, when it has one the actor can read. */
  readonly run?: Run;
  /** The check's own `params` from the policy, e.g. `{suite: 'fairness-v2', maxGap: 0.05}`. */
  readonly params: Readonly<Record<string, unknown>>;
}

export type EvidenceProvider = (ctx: EvidenceContext) => Promise<CheckResult>;

/**
 * Named sources of evidence for `evidence` checks. Evaluation, fairness, validation and drift modules
 * register theirs at start-up (in main.ts); the registry only looks them up by name, so a new kind of
 * evidence never changes the registry.
 */
export class EvidenceProviders {
  private readonly providers = new Map<string, EvidenceProvider>();

  registerEvidenceProvider(name: string, provider: EvidenceProvider): void {
    if (!/^[\w.-]+$/.test(name)) throw invalid(`Invalid evidence provider name '${name}'`);
    if (this.providers.has(name)) throw invalid(`An evidence provider named '${name}' is already registered`);
    this.providers.set(name, provider);
  }

  get(name: string): EvidenceProvider | undefined {
    return this.providers.get(name);
  }

  names(): string[] {
    return [...this.providers.keys()].sort();
  }
}
