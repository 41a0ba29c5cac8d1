import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, invalid, invalidState, isDomainError, missing, notFound, orThrow } from '../../core/errors.js';
import { noteChange } from '../../core/audit-notes.js';
import type { Access } from '../access/access.js';
import type { Run } from '../tracking/types.js';
import { blockedMessage, evaluateChecks, failedChecks, type ApproverDirectory } from './checks.js';
import type { EvidenceProviders } from './evidence.js';
import { effectiveChecks, parsePolicy, PROMPT_DEFAULT_POLICY, PRODUCTION_ALIASES, type CheckSpec, type PromotionPolicy } from './policy.js';
import { IS_PROMPT_TAG } from './search.js';
import type { Move, PromotionStore, RegistryStore } from './registry.store.js';
import type {
  Approval, CheckResult, ModelVersion, PromotionRequest, RegisteredModel, RequestState, Target, TransitionRecord,
} from './types.js';
import { formatTarget, validateModelName } from './validation.js';

/** The tracking reads the checks need; the run service in production. */
export interface RunReader {
  get(actor: Actor, runId: string): Promise<Run>;
}

export interface MoveInput {
  readonly name: string;
  readonly version: number;
  readonly target: Target;
  readonly archiveExisting: boolean;
  readonly reason?: string;
}

export interface CreateRequestInput {
  readonly name: string;
  readonly version: number;
  readonly target: Target;
  readonly reason?: string;
  /** Stage targets: archive the versions now in that stage when the request completes (default: true for Staging and Production). */
  readonly archiveExisting?: boolean;
}

export interface PolicyView {
  readonly name: string;
  /** The model's own policy, absent when it follows the server default. */
  readonly policy?: PromotionPolicy;
  readonly defaultPolicy: PromotionPolicy;
  /** The checks that apply to each target named by either policy (plus the stages), after fallback. */
  readonly effective: Readonly<Record<string, readonly CheckSpec[]>>;
}

export interface RollbackResult {
  readonly version: ModelVersion;
  readonly from: number;
  readonly records: readonly TransitionRecord[];
}

/** Who asked and who approved so far: a pending request's, or nobody's for a move without one. */
interface ApprovalsSoFar {
  readonly requester: string;
  readonly approvals: readonly Approval[];
  readonly id?: number;
  readonly direct?: boolean;
}

const ACTIVE_STAGES = new Set(['Staging', 'Production']);
const isProductionSlot = (t: Target) => (t.kind === 'stage' ? t.stage === 'Production' : PRODUCTION_ALIASES.includes(t.alias));

/**
 * Promotion gates: policies, the checks they call for, promotion requests with approvals, the history of
 * every move, and rollback. Every stage change and alias move in the registry goes through `move` (the
 * MLflow API's transition-stage and alias calls too), so no route around the policy exists.
 *
 * Through the MLflow API nobody can approve, so a policy that wants approvals blocks a direct move unless
 * a pending promotion request for the same version and target already has them; the move then proceeds
 * and completes that request.
 */
export class PromotionService {
  constructor(
    private readonly registry: RegistryStore,
    private readonly store: PromotionStore,
    private readonly runs: RunReader,
    private readonly evidence: EvidenceProviders,
    private readonly defaultPolicy: PromotionPolicy,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly approvers?: ApproverDirectory,
  ) {}

  async getPolicy(actor: Actor, name: string): Promise<PolicyView> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: name });
    await this.model(name);
    const policy = await this.store.getPolicy(name);
    const defaultPolicy = await this.defaultFor(name);
    const targets: Target[] = ['None', 'Staging', 'Production', 'Archived'].map((stage) => ({ kind: 'stage', stage }) as Target);
    const aliases = new Set([...PRODUCTION_ALIASES, ...Object.keys(defaultPolicy.aliases), ...Object.keys(policy?.aliases ?? {})]);
    for (const alias of [...aliases].sort()) targets.push({ kind: 'alias', alias });
    const effective = Object.fromEntries(targets.map((t) => [formatTarget(t), effectiveChecks(policy, defaultPolicy, t)]));
    return { name, ...(policy ? { policy } : {}), defaultPolicy, effective };
  }

  async setPolicy(actor: Actor, name: string, document: unknown): Promise<PolicyView> {
    await this.access.require(actor, 'MANAGE', { kind: 'registered_model', id: name });
    const policy = parsePolicy(document);
    await this.store.setPolicy(validateModelName(name), policy, actor.userId, this.clock.now());
    return this.getPolicy(actor, name);
  }

  async deletePolicy(actor: Actor, name: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'registered_model', id: name });
    await this.model(name);
    await this.store.deletePolicy(name);
  }

  /** The checks a move would face now, without moving anything; a pending request's approvals count. */
  async evaluate(actor: Actor, name: string, version: number, target: Target): Promise<CheckResult[]> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: name });
    const pending = await this.store.pendingRequest(name, version, target);
    return this.check(actor, name, version, target, pending ? pending : { requester: actor.userId, approvals: [] });
  }

  /** A gated stage change or alias move: all checks must pass, else nothing changes. */
  async move(actor: Actor, input: MoveInput): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: input.name });
    const pending = await this.store.pendingRequest(input.name, input.version, input.target);
    const results = await this.check(actor, input.name, input.version, input.target, pending ?? { requester: actor.userId, approvals: [], direct: true });
    if (failedChecks(results).length > 0) {
      throw invalid(blockedMessage(`Moving version ${input.version} of '${input.name}' to ${formatTarget(input.target)}`, results));
    }
    const move = this.toMove(actor, input, input.target.kind === 'stage' ? 'transition' : 'alias', results);
    const now = move.now;
    const applied = await this.store.applyMoves([move], pending ? { requestId: pending.id, resolvedBy: actor.userId, checks: results, now } : undefined);
    // Only when a concurrent approval completed the same request first: that one moved the version.
    if (!applied) throw invalidState(`Promotion request ${pending!.id} was completed concurrently; version ${input.version} already moved`);
  }

  async createRequest(actor: Actor, input: CreateRequestInput): Promise<PromotionRequest> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: input.name });
    const stage = input.target.kind === 'stage' ? input.target.stage : undefined;
    if (input.archiveExisting && !(stage && ACTIVE_STAGES.has(stage))) {
      throw invalid(`archiveExisting is only valid for the Staging and Production stages, not ${formatTarget(input.target)}`);
    }
    const archiveExisting = input.archiveExisting ?? (stage !== undefined && ACTIVE_STAGES.has(stage));
    const results = await this.check(actor, input.name, input.version, input.target, { requester: actor.userId, approvals: [] });
    const now = this.clock.now();
    const id = await this.store.createRequest({
      name: input.name, version: input.version, target: input.target, archiveExisting, requester: actor.userId,
      checks: results, now, ...(input.reason !== undefined ? { reason: input.reason } : {}),
    });
    // A policy that wants no approval lets the request through at once.
    if (failedChecks(results).length === 0) await this.complete(actor, await this.requestById(id), results);
    return this.requestById(id);
  }

  async getRequest(actor: Actor, id: number): Promise<PromotionRequest> {
    const request = await this.requestById(id);
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: request.name });
    return request;
  }

  async listRequests(actor: Actor, q: { name?: string; version?: number; state?: RequestState }): Promise<PromotionRequest[]> {
    await this.access.require(actor, 'READ', q.name !== undefined ? { kind: 'registered_model', id: q.name } : { kind: 'server' });
    return this.access.readable(actor, 'registered_model', await this.store.listRequests(q), (r) => r.name);
  }

  /**
   * Records the approval, then re-evaluates every check; when they all pass the move happens in the same
   * transaction that completes the request. Of concurrent approvals that each complete the count, exactly
   * one performs the move; the others return the completed request.
   */
  async approve(actor: Actor, id: number, comment?: string): Promise<PromotionRequest> {
    const request = await this.requestById(id);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: request.name });
    if (request.state !== 'pending') throw invalidState(`Promotion request ${id} is ${request.state}; only pending requests can be approved`);
    if (actor.userId === request.requester) {
      throw new DomainError('PERMISSION_DENIED', `User '${actor.userId}' requested promotion ${id} and cannot approve it; another user must`);
    }
    if (request.approvals.some((a) => a.userId === actor.userId)) throw invalidState(`User '${actor.userId}' has already approved promotion request ${id}`);
    const approval: Approval = { userId: actor.userId, time: this.clock.now(), ...(comment !== undefined ? { comment } : {}) };
    await this.store.addApproval(id, approval);
    const approved = await this.requestById(id);
    if (approved.state !== 'pending') return approved;
    const results = await this.check(actor, approved.name, approved.version, approved.target, approved);
    if (failedChecks(results).length === 0) await this.complete(actor, approved, results);
    else await this.store.updateRequestChecks(id, results, this.clock.now());
    return this.requestById(id);
  }

  async reject(actor: Actor, id: number, reason?: string): Promise<PromotionRequest> {
    const request = await this.requestById(id);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: request.name });
    if (actor.userId === request.requester) {
      throw new DomainError('PERMISSION_DENIED', `User '${actor.userId}' requested promotion ${id}; withdraw it instead of rejecting it`);
    }
    return this.resolve(actor, request, 'rejected', reason);
  }

  async withdraw(actor: Actor, id: number, reason?: string): Promise<PromotionRequest> {
    const request = await this.requestById(id);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: request.name });
    if (actor.userId !== request.requester) {
      throw new DomainError('PERMISSION_DENIED', `Only '${request.requester}', who requested promotion ${id}, can withdraw it`);
    }
    return this.resolve(actor, request, 'withdrawn', reason);
  }

  async history(actor: Actor, name: string, version?: number): Promise<TransitionRecord[]> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: name });
    await this.model(name);
    if (version !== undefined && !(await this.registry.getModelVersion(name, version)) && (await this.store.history(name, version)).length === 0) {
      throw missing({ kind: 'model-version', name, version });
    }
    return this.store.history(name, version);
  }

  /**
   * Puts the version that held Production before the current one back (or `toVersion`, which must have held
   * it): the Production stage if the current holder has it, and each of `champion`/`production` that points
   * at the current holder. Approvals are bypassed, the other checks are evaluated for the record only: a
   * rollback is the way out of a bad release and must not be blocked by it. Recorded as kind `rollback`.
   */
  async rollback(actor: Actor, name: string, input: { toVersion?: number; reason?: string } = {}): Promise<RollbackResult> {
    await this.access.require(actor, 'MANAGE', { kind: 'registered_model', id: name });
    await this.model(name);
    const history = await this.store.history(name);
    const inProduction = async (v: number) => (await this.registry.getModelVersion(name, v))?.currentStage === 'Production';
    let stageHolder: number | undefined;
    for (const r of [...history].reverse()) {
      if (r.toStage === 'Production' && (await inProduction(r.version))) { stageHolder = r.version; break; }
    }
    stageHolder ??= (await this.registry.latestVersions(name, ['Production']))[0]?.version;
    const aliasHolders = new Map<string, number>();
    for (const alias of PRODUCTION_ALIASES) {
      const v = await this.registry.getAliasVersion(name, alias);
      if (v !== undefined) aliasHolders.set(alias, v);
    }
    const current = stageHolder ?? aliasHolders.get('champion') ?? aliasHolders.get('production');
    if (current === undefined) throw invalidState(`No version of '${name}' is in Production (stage or ${PRODUCTION_ALIASES.join('/')} alias); nothing to roll back`);

    const heldBefore = history.filter((r) => isProductionSlot(r.target) && (r.target.kind === 'alias' || r.toStage === 'Production')).map((r) => r.version);
    let target: number | undefined;
    const toVersion = input.toVersion;
    if (toVersion !== undefined) {
      if (toVersion === current) throw invalidState(`Version ${current} of '${name}' is the current Production version`);
      if (!heldBefore.includes(toVersion)) throw invalidState(`Version ${toVersion} of '${name}' never held Production; promote it instead`);
      orThrow(await this.registry.getModelVersion(name, toVersion), () => missing({ kind: 'model-version', name, version: toVersion }));
      target = toVersion;
    } else {
      for (const v of [...heldBefore].reverse()) {
        if (v !== current && (await this.registry.getModelVersion(name, v))) { target = v; break; }
      }
      if (target === undefined) throw invalidState(`No earlier Production version of '${name}' to roll back to`);
    }

    const production: Target = { kind: 'stage', stage: 'Production' };
    const specs = (await this.specs(name, production)).filter((s) => s.type !== 'approvals');
    const results = await this.evaluateFor(actor, name, target, production, specs, { requester: actor.userId, approvals: [] });
    const reason = input.reason ?? `rollback from version ${current}`;
    const moves: Move[] = [];
    const base = { name, version: target, kind: 'rollback' as const, actor: actor.userId, reason, checks: results, now: this.clock.now() };
    if (stageHolder === current) moves.push({ ...base, target: production, archiveExisting: true });
    for (const [alias, v] of aliasHolders) if (v === current) moves.push({ ...base, target: { kind: 'alias', alias }, archiveExisting: false });
    const before = history.length > 0 ? history[history.length - 1]!.id : 0;
    await this.store.applyMoves(moves);
    const version = orThrow(await this.registry.getModelVersion(name, target), () => missing({ kind: 'model-version', name, version: target }));
    return { version, from: current, records: (await this.store.history(name)).filter((r) => r.id > before) };
  }

  private async resolve(actor: Actor, request: PromotionRequest, state: 'rejected' | 'withdrawn', reason: string | undefined): Promise<PromotionRequest> {
    if (request.state !== 'pending') throw invalidState(`Promotion request ${request.id} is ${request.state}; only pending requests can be ${state}`);
    if (!(await this.store.resolveRequest(request.id, state, actor.userId, reason, this.clock.now()))) {
      const now = await this.requestById(request.id);
      throw invalidState(`Promotion request ${request.id} is ${now.state}; only pending requests can be ${state}`);
    }
    return this.requestById(request.id);
  }

  private async complete(actor: Actor, request: PromotionRequest, results: readonly CheckResult[]): Promise<boolean> {
    const input: MoveInput = {
      name: request.name, version: request.version, target: request.target, archiveExisting: request.archiveExisting,
      reason: request.reason ?? `promotion request ${request.id}`,
    };
    // The history names the requester as the actor: approvers are on the request and in the checks' evidence.
    const move = this.toMove({ ...actor, userId: request.requester }, input, request.target.kind === 'stage' ? 'transition' : 'alias', results);
    return this.store.applyMoves([move], { requestId: request.id, resolvedBy: actor.userId, checks: results, now: move.now });
  }

  private toMove(actor: Actor, input: MoveInput, kind: Move['kind'], checks: readonly CheckResult[]): Move {
    noteChange({ object: `registered_model:${input.name}`, after: { version: input.version, target: formatTarget(input.target), kind } });
    return {
      name: input.name, version: input.version, target: input.target, archiveExisting: input.archiveExisting, kind,
      actor: actor.userId, checks, now: this.clock.now(), ...(input.reason !== undefined ? { reason: input.reason } : {}),
    };
  }

  private async specs(name: string, target: Target): Promise<readonly CheckSpec[]> {
    return effectiveChecks(await this.store.getPolicy(name), await this.defaultFor(name), target);
  }

  /**
   * The server's default policy, or for a prompt the prompts' default: the models' default asks its source run for
   * tags, and a prompt version has no run; a prompt's own policy (evaluation evidence, approvals) gates its labels.
   */
  private async defaultFor(name: string): Promise<PromotionPolicy> {
    const model = await this.registry.getRegisteredModel(name);
    return model?.tags.some((t) => t.key === IS_PROMPT_TAG && t.value === 'true') ? PROMPT_DEFAULT_POLICY : this.defaultPolicy;
  }

  private async check(
    actor: Actor, name: string, version: number, target: Target, approvals: ApprovalsSoFar,
  ): Promise<CheckResult[]> {
    return this.evaluateFor(actor, name, version, target, await this.specs(name, target), approvals);
  }

  private async evaluateFor(
    actor: Actor, name: string, versionNumber: number, target: Target, specs: readonly CheckSpec[],
    approvals: ApprovalsSoFar,
  ): Promise<CheckResult[]> {
    const model = await this.model(name);
    const version = orThrow(await this.registry.getModelVersion(name, versionNumber), () => missing({ kind: 'model-version', name, version: versionNumber }));
    if (specs.length === 0) return [];
    // Approvals need the run too: its author may not approve.
    const needsRuns = specs.some((s) => s.type !== 'approvals' || s.excludeRunAuthor !== false);
    const candidate = needsRuns ? await this.readRun(actor, version) : {};
    const holder = specs.some((s) => s.type === 'not_worse_than_current') ? await this.holder(model, version, target) : undefined;
    const current = holder ? { version: holder, ...(holder.runId ? await this.readRun(actor, holder) : {}) } : undefined;
    return evaluateChecks(specs, {
      actor, model, version, target, requester: approvals.requester, approvals: approvals.approvals, evidence: this.evidence,
      ...(this.approvers ? { approvers: this.approvers } : {}),
      ...candidate, ...(current ? { current: { version: current.version, ...(current.run ? { run: current.run } : {}) } } : {}),
      ...(approvals.id !== undefined ? { requestId: approvals.id } : {}), ...(approvals.direct ? { direct: true } : {}),
    });
  }

  /** The version holding the target now, other than the candidate: the newest in the stage, or the alias's version. */
  private async holder(model: RegisteredModel, candidate: ModelVersion, target: Target): Promise<ModelVersion | undefined> {
    let number: number | undefined;
    if (target.kind === 'alias') number = model.aliases.find((a) => a.alias === target.alias)?.version;
    else number = model.latestVersions.find((v) => v.currentStage === target.stage)?.version;
    if (number === undefined || number === candidate.version) return undefined;
    return this.registry.getModelVersion(model.name, number);
  }

  private async readRun(actor: Actor, version: ModelVersion): Promise<{ run?: Run; runProblem?: string }> {
    if (!version.runId) return {};
    try {
      return { run: await this.runs.get(actor, version.runId) };
    } catch (err) {
      if (isDomainError(err)) return { runProblem: `source run ${version.runId} of version ${version.version} cannot be read: ${err.message}` };
      throw err;
    }
  }

  private async model(name: string): Promise<RegisteredModel> {
    return orThrow(await this.registry.getRegisteredModel(name), () => missing({ kind: 'registered-model', name }));
  }

  private async requestById(id: number): Promise<PromotionRequest> {
    return orThrow(await this.store.getRequest(id), () => notFound(`Promotion request ${id}`));
  }
}
