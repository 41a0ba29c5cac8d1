import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../../artifacts/open-artifact-store.js';
import { anonymousAdmin } from '../../core/actor.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../store/db.js';
import { SqlArtifactFilesStore, SqlLoggedModelStore } from '../../store/sql/artifacts.sql-store.js';
import { SqlPromotionStore } from '../../store/sql/promotion.sql-store.js';
import { SqlRegistryStore } from '../../store/sql/registry.sql-store.js';
import { SqlTrackingStore } from '../../store/sql/tracking.sql-store.js';
import { allowAll } from '../access/access.js';
import { ArtifactService } from '../artifacts/artifact.service.js';
import { ExperimentService } from '../tracking/experiment.service.js';
import { LoggedModelService } from '../tracking/logged-model.service.js';
import { RunService } from '../tracking/run.service.js';
import { createRegistry } from './create-registry.js';
import { BUILT_IN_DEFAULT_POLICY, type CheckSpec } from './policy.js';
import type { CheckResult } from './types.js';

/**
 * The policy matrix on real stores (a temp SQLite database): every check type passing and failing,
 * approvals by the requester and by others, and what a blocked move leaves behind (nothing).
 */
const alice = anonymousAdmin('alice');
const bob = anonymousAdmin('bob');
const carol = anonymousAdmin('carol');
const dave = anonymousAdmin('dave');

let dir: string;
let handle: DatabaseHandle;
let world: ReturnType<typeof createRegistry>;
let runs: RunService;
let experimentId: string;
let tick = 1_700_000_000_000;
const clock = { now: () => ++tick };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-promotion-'));
  handle = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  await migrate(handle);
  const tracking = new SqlTrackingStore(handle);
  runs = new RunService(tracking, allowAll, clock);
  world = createRegistry({
    registryStore: new SqlRegistryStore(handle),
    promotionStore: new SqlPromotionStore(handle),
    runs,
    loggedModels: new LoggedModelService(new SqlLoggedModelStore(handle), tracking, allowAll, clock),
    artifacts: new ArtifactService(openArtifactStore(path.join(dir, 'artifacts'), { region: 'us-east-1', forcePathStyle: true }), new SqlArtifactFilesStore(handle), allowAll, clock),
    defaultPolicy: BUILT_IN_DEFAULT_POLICY,
    access: allowAll,
    clock,
  });
  experimentId = await new ExperimentService(tracking, allowAll, clock).create(alice, { name: 'promotion-matrix' });
  world.evidenceProviders.registerEvidenceProvider('fairness', async (ctx) => {
    const gap = ctx.run?.data.metrics.find((m) => m.key === 'parity_gap')?.value;
    const max = Number(ctx.params.maxGap);
    const passed = gap !== undefined && gap <= max;
    return { type: 'evidence', name: 'fairness', passed, detail: `parity gap ${gap} (max ${max})`, evidence: { gap: gap ?? null, max } };
  });
  world.evidenceProviders.registerEvidenceProvider('broken', async () => {
    throw new Error('evaluation store unreachable');
  });
});
afterAll(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const FULL_TAGS = { git_commit: 'abc123', dataset_version: 'v7', author: 'alice', experiment_type: 'baseline' };

async function newRun(tags: Record<string, string> = {}, metrics: Record<string, number | [number, number][]> = {}): Promise<string> {
  const run = await runs.create(alice, { experimentId, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  const points = Object.entries(metrics).flatMap(([key, v]) =>
    (Array.isArray(v) ? v : [[v, 0] as [number, number]]).map(([value, step]) => ({ key, value, step, timestamp: 1 })),
  );
  if (points.length > 0) await runs.logBatch(alice, run.runId, { metrics: points, params: [], tags: [] });
  return run.runId;
}

let modelCount = 0;
async function modelWith(runIds: string[], checks?: Record<string, CheckSpec[]>): Promise<string> {
  const name = `m${++modelCount}`;
  await world.registry.createRegisteredModel(alice, { name });
  for (const runId of runIds) await world.registry.createModelVersion(alice, { name, source: `s3://models/${name}`, runId });
  if (checks) {
    const stages = Object.fromEntries(Object.entries(checks).filter(([t]) => !t.startsWith('@')).map(([t, c]) => [t, { checks: c }]));
    const aliases = Object.fromEntries(Object.entries(checks).filter(([t]) => t.startsWith('@')).map(([t, c]) => [t.slice(1), { checks: c }]));
    await world.promotion.setPolicy(alice, name, { stages, aliases });
  }
  return name;
}

const verdicts = (checks: readonly CheckResult[]) => checks.map((c) => [c.type, c.passed]);
const stageOf = async (name: string, version: number) => (await world.registry.getModelVersion(alice, name, version)).currentStage;
const production = { kind: 'stage', stage: 'Production' } as const;

describe('default policy', () => {
  it('blocks a direct move to Production without the tags and an approval, and changes nothing', async () => {
    const name = await modelWith([await newRun({ 'mlflow.user': 'alice' })]);
    const err = await world.registry.transitionStage(alice, { name, version: '1', stage: 'Production', archiveExisting: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((err as Error).message).toContain('lacks tags: git_commit (or mlflow.source.git.commit), dataset_version, experiment_type');
    expect((err as Error).message).toContain('0 of 1 approvals from users other than alice');
    expect(await stageOf(name, 1)).toBe('None');
    expect(await world.promotion.history(alice, name)).toEqual([]);
  });

  it('lets Staging and ordinary aliases move freely; champion and production aliases follow the Production policy', async () => {
    const name = await modelWith([await newRun()]);
    await world.registry.transitionStage(alice, { name, version: 1, stage: 'Staging', archiveExisting: false });
    await world.registry.setAlias(alice, { name, alias: 'challenger', version: 1 });
    for (const alias of ['champion', 'production']) {
      await expect(world.registry.setAlias(alice, { name, alias, version: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    }
    const model = await world.registry.getRegisteredModel(alice, name);
    expect(model.aliases).toEqual([{ alias: 'challenger', version: 1 }]);
    expect((await world.promotion.history(alice, name)).map((h) => h.kind)).toEqual(['transition', 'alias']);
  });

  it('keeps Production under the default when a model policy speaks only of Staging; an explicit empty list frees it', async () => {
    const gated = await modelWith([await newRun()], { Staging: [] });
    await expect(world.registry.transitionStage(alice, { name: gated, version: 1, stage: 'Production', archiveExisting: false }))
      .rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const free = await modelWith([await newRun()], { Production: [] });
    await world.registry.transitionStage(alice, { name: free, version: 1, stage: 'Production', archiveExisting: false });
    expect(await stageOf(free, 1)).toBe('Production');
    // The champion alias shares the Production policy unless the policy names the alias itself.
    await world.registry.setAlias(alice, { name: free, alias: 'champion', version: 1 });
  });
});

describe('check types', () => {
  it('required_tags: passes with the tags or MLflow’s own, fails naming what is missing (an empty value is missing)', async () => {
    const spec: CheckSpec = { type: 'required_tags', tags: ['git_commit', 'dataset_version', 'author', 'experiment_type'] };
    const viaMlflow = await modelWith([await newRun({ 'mlflow.source.git.commit': 'abc', 'mlflow.user': 'alice', dataset_version: 'v1', experiment_type: 'ablation' })], { Production: [spec] });
    const checks = await world.promotion.evaluate(alice, viaMlflow, 1, production);
    expect(checks[0]).toMatchObject({ passed: true, evidence: { found: { git_commit: { key: 'mlflow.source.git.commit', value: 'abc' }, author: { key: 'mlflow.user', value: 'alice' } }, missing: [] } });
    const plain = await modelWith([await newRun(FULL_TAGS)], { Production: [spec] });
    expect(verdicts(await world.promotion.evaluate(alice, plain, 1, production))).toEqual([['required_tags', true]]);
    const partial = await modelWith([await newRun({ git_commit: 'abc', dataset_version: '' })], { Production: [spec] });
    const failed = (await world.promotion.evaluate(alice, partial, 1, production))[0]!;
    expect(failed.passed).toBe(false);
    expect(failed.evidence.missing).toEqual(['dataset_version', 'author', 'experiment_type']);
    const runless = await modelWith([], { Production: [spec] });
    await world.registry.createModelVersion(alice, { name: runless, source: 's3://x' });
    expect((await world.promotion.evaluate(alice, runless, 1, production))[0]).toMatchObject({ passed: false, detail: 'version 1 has no source run' });
  });

  it('metric_threshold: compares the run’s latest value (highest step) with each operator', async () => {
    const cases: [number, '>=' | '>' | '<=' | '<' | '==', number, boolean][] = [
      [0.93, '>=', 0.9, true], [0.9, '>=', 0.9, true], [0.9, '>', 0.9, false], [0.91, '>', 0.9, true],
      [45, '<=', 50, true], [50, '<', 50, false], [49.5, '<', 50, true], [0.5, '==', 0.5, true], [0.51, '==', 0.5, false],
    ];
    for (const [value, op, threshold, expected] of cases) {
      const name = await modelWith([await newRun({}, { m: value })], { Production: [{ type: 'metric_threshold', metric: 'm', op, value: threshold }] });
      const [check] = await world.promotion.evaluate(alice, name, 1, production);
      expect([value, op, threshold, check!.passed]).toEqual([value, op, threshold, expected]);
    }
    // 0.95 at step 1, then 0.80 at step 2: MLflow's latest value is the one at the highest step, 0.80.
    const latest = await modelWith([await newRun({}, { accuracy: [[0.95, 1], [0.8, 2]] })], {
      Production: [{ type: 'metric_threshold', metric: 'accuracy', op: '>=', value: 0.9 }],
    });
    expect((await world.promotion.evaluate(alice, latest, 1, production))[0]).toMatchObject({ passed: false, evidence: { value: 0.8, step: 2 } });
    const missing = await modelWith([await newRun()], { Production: [{ type: 'metric_threshold', metric: 'accuracy', op: '>=', value: 0.9 }] });
    expect((await world.promotion.evaluate(alice, missing, 1, production))[0]).toMatchObject({ passed: false });
  });

  it('not_worse_than_current: compares with the version holding the target, within the tolerance', async () => {
    const higher: CheckSpec = { type: 'not_worse_than_current', metric: 'acc', direction: 'higher_is_better', tolerance: 0.05 };
    // Holder at 0.90, tolerance 0.05: 0.86 is 0.04 worse (passes), 0.85 exactly 0.05 worse (passes), 0.84 is 0.06 worse (fails).
    const name = await modelWith([await newRun({}, { acc: 0.9 }), await newRun({}, { acc: 0.86 }), await newRun({}, { acc: 0.85 }), await newRun({}, { acc: 0.84 })], {
      Production: [higher],
    });
    expect((await world.promotion.evaluate(alice, name, 1, production))[0]).toMatchObject({ passed: true, detail: 'no version holds Production; nothing to compare with' });
    await world.registry.transitionStage(alice, { name, version: 1, stage: 'Production', archiveExisting: false });
    const outcome = async (v: number) => (await world.promotion.evaluate(alice, name, v, production))[0]!;
    expect((await outcome(2)).passed).toBe(true);
    expect((await outcome(3)).passed).toBe(true);
    expect(await outcome(4)).toMatchObject({ passed: false, evidence: { candidate: 0.84, current: 0.9, currentVersion: 1 } });
    await expect(world.registry.transitionStage(alice, { name, version: 4, stage: 'Production', archiveExisting: true })).rejects.toThrow(/worse by/);
    expect(await stageOf(name, 1)).toBe('Production');

    // Lower is better, against the version an alias points at: latency 40 held, tolerance 5 → 44 passes, 46 fails.
    const lower: CheckSpec = { type: 'not_worse_than_current', metric: 'latency_ms', direction: 'lower_is_better', tolerance: 5 };
    const fast = await modelWith([await newRun({}, { latency_ms: 40 }), await newRun({}, { latency_ms: 44 }), await newRun({}, { latency_ms: 46 })], { '@fast': [lower] });
    await world.registry.setAlias(alice, { name: fast, alias: 'fast', version: 1 });
    const fastTarget = { kind: 'alias', alias: 'fast' } as const;
    expect((await world.promotion.evaluate(alice, fast, 2, fastTarget))[0]!.passed).toBe(true);
    expect((await world.promotion.evaluate(alice, fast, 3, fastTarget))[0]).toMatchObject({ passed: false, evidence: { worseBy: 6 } });
  });

  it('evidence: asks the named provider, and fails when it is unknown or breaks', async () => {
    const spec: CheckSpec = { type: 'evidence', provider: 'fairness', params: { maxGap: 0.1 } };
    const name = await modelWith([await newRun({}, { parity_gap: 0.04 }), await newRun({}, { parity_gap: 0.2 })], {
      Production: [spec, { type: 'evidence', provider: 'nobody', params: {} }, { type: 'evidence', provider: 'broken', params: {} }],
    });
    const [fair, unknown, broken] = await world.promotion.evaluate(alice, name, 1, production);
    expect(fair).toEqual({ type: 'evidence', name: 'evidence: fairness', passed: true, detail: 'parity gap 0.04 (max 0.1)', evidence: { provider: 'fairness', gap: 0.04, max: 0.1 } });
    expect(unknown).toMatchObject({ passed: false, detail: "no evidence provider named 'nobody' is registered" });
    expect(broken).toMatchObject({ passed: false, detail: "evidence provider 'broken' failed: evaluation store unreachable" });
    expect((await world.promotion.evaluate(alice, name, 2, production))[0]).toMatchObject({ passed: false, evidence: { gap: 0.2 } });
    expect(() => world.evidenceProviders.registerEvidenceProvider('fairness', async () => fair!)).toThrow(/already registered/);
  });
});

describe('promotion requests and approvals', () => {
  it('counts approvals from users other than the requester, once each, and moves on the last one', async () => {
    const name = await modelWith([await newRun(FULL_TAGS)], { Production: [{ type: 'required_tags', tags: ['git_commit'] }, { type: 'approvals', required: 2 }] });
    const request = await world.promotion.createRequest(alice, { name, version: 1, target: production, reason: 'beats baseline' });
    expect(request).toMatchObject({ state: 'pending', requester: 'alice', archiveExisting: true });
    expect(verdicts(request.checks)).toEqual([['required_tags', true], ['approvals', false]]);
    await expect(world.promotion.createRequest(bob, { name, version: 1, target: production })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });

    await expect(world.promotion.approve(alice, request.id)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const once = await world.promotion.approve(bob, request.id, 'looks good');
    expect(once.state).toBe('pending');
    expect(once.checks.find((c) => c.type === 'approvals')).toMatchObject({ passed: false, detail: '1 of 2 approvals from users other than alice' });
    await expect(world.promotion.approve(bob, request.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await stageOf(name, 1)).toBe('None');

    const done = await world.promotion.approve(carol, request.id);
    expect(done).toMatchObject({ state: 'completed', resolvedBy: 'carol' });
    expect(done.approvals.map((a) => a.userId)).toEqual(['bob', 'carol']);
    expect(await stageOf(name, 1)).toBe('Production');
    const [record] = await world.promotion.history(alice, name, 1);
    expect(record).toMatchObject({ kind: 'transition', actor: 'alice', reason: 'beats baseline', fromStage: 'None', toStage: 'Production', requestId: request.id });
    expect(record!.checks.find((c) => c.type === 'approvals')?.evidence).toMatchObject({ approvers: ['bob', 'carol'] });
    await expect(world.promotion.approve(dave, request.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('refuses to approve withdrawn or rejected requests; only the requester withdraws, only others reject', async () => {
    const name = await modelWith([await newRun(FULL_TAGS)]);
    const first = await world.promotion.createRequest(alice, { name, version: 1, target: production });
    await expect(world.promotion.withdraw(bob, first.id)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await world.promotion.withdraw(alice, first.id, 'wrong version')).toMatchObject({ state: 'withdrawn', resolvedBy: 'alice', resolution: 'wrong version' });
    await expect(world.promotion.approve(bob, first.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(world.promotion.withdraw(alice, first.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const second = await world.promotion.createRequest(alice, { name, version: 1, target: production });
    await expect(world.promotion.reject(alice, second.id)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await world.promotion.reject(bob, second.id, 'no model card')).toMatchObject({ state: 'rejected', resolvedBy: 'bob' });
    await expect(world.promotion.approve(carol, second.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(world.promotion.approve(carol, 999_999)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await stageOf(name, 1)).toBe('None');
    expect((await world.promotion.listRequests(alice, { name })).map((r) => r.state)).toEqual(['rejected', 'withdrawn']);
  });

  it('lets a direct (MLflow API) move through once a pending request has its approvals, completing that request', async () => {
    const runId = await newRun();
    const name = await modelWith([runId], { Production: [{ type: 'metric_threshold', metric: 'acc', op: '>=', value: 0.9 }, { type: 'approvals', required: 1 }] });
    const request = await world.promotion.createRequest(alice, { name, version: 1, target: production });
    const approved = await world.promotion.approve(bob, request.id);
    // Approved, but the metric is not logged yet: the request waits.
    expect(approved.state).toBe('pending');
    expect(verdicts(approved.checks)).toEqual([['metric_threshold', false], ['approvals', true]]);
    await runs.logBatch(alice, runId, { metrics: [{ key: 'acc', value: 0.93, timestamp: 2, step: 0 }], params: [], tags: [] });
    const moved = await world.registry.transitionStage(alice, { name, version: 1, stage: 'Production', archiveExisting: false });
    expect(moved.currentStage).toBe('Production');
    expect(await world.promotion.getRequest(alice, request.id)).toMatchObject({ state: 'completed', resolvedBy: 'alice' });
  });

  it('moves exactly once when approvals arrive concurrently', async () => {
    const name = await modelWith([await newRun(FULL_TAGS)]);
    const request = await world.promotion.createRequest(alice, { name, version: 1, target: production });
    const results = await Promise.all([bob, carol, dave].map((u) => world.promotion.approve(u, request.id)));
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect((await world.promotion.history(alice, name)).filter((h) => h.toStage === 'Production')).toHaveLength(1);
  });

  it('completes at once when the policy asks for no approval and every check passes', async () => {
    const name = await modelWith([await newRun({}, { acc: 0.95 })], { Staging: [{ type: 'metric_threshold', metric: 'acc', op: '>=', value: 0.9 }] });
    const request = await world.promotion.createRequest(alice, { name, version: 1, target: { kind: 'stage', stage: 'Staging' } });
    expect(request).toMatchObject({ state: 'completed', resolvedBy: 'alice' });
    expect(await stageOf(name, 1)).toBe('Staging');
  });
});

describe('rollback', () => {
  it('puts the previous Production version back, with the champion alias, recorded as a rollback', async () => {
    const name = await modelWith([await newRun(), await newRun(), await newRun()], { Production: [] });
    await world.registry.transitionStage(alice, { name, version: 1, stage: 'Production', archiveExisting: true });
    await world.registry.setAlias(alice, { name, alias: 'champion', version: 1 });
    await world.registry.transitionStage(alice, { name, version: 2, stage: 'Production', archiveExisting: true });
    await world.registry.setAlias(alice, { name, alias: 'champion', version: 2 });
    await expect(world.promotion.rollback(bob, name, { toVersion: 3 })).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const result = await world.promotion.rollback(bob, name, { reason: 'error rate doubled' });
    expect(result.from).toBe(2);
    expect(result.version).toMatchObject({ version: 1, currentStage: 'Production', aliases: ['champion'] });
    expect(await stageOf(name, 2)).toBe('Archived');
    expect(result.records.map((r) => [r.kind, r.version, r.fromStage ?? null, r.toStage ?? null, r.previousVersion ?? null, r.actor, r.reason])).toEqual([
      ['rollback', 2, 'Production', 'Archived', null, 'bob', 'archived: version 1 moved to Production'],
      ['rollback', 1, 'Archived', 'Production', null, 'bob', 'error rate doubled'],
      ['rollback', 1, null, null, 2, 'bob', 'error rate doubled'],
    ]);
  });

  it('bypasses approvals, and refuses when there is nothing to go back to', async () => {
    const name = await modelWith([await newRun(FULL_TAGS), await newRun(FULL_TAGS)]);
    for (const version of [1, 2]) {
      const r = await world.promotion.createRequest(alice, { name, version, target: production });
      await world.promotion.approve(bob, r.id);
    }
    expect(await stageOf(name, 2)).toBe('Production');
    const result = await world.promotion.rollback(carol, name, { toVersion: 1 });
    expect(result.version.currentStage).toBe('Production');
    // Recorded with the checks other than approvals, evaluated at that moment.
    expect(verdicts(result.records.at(-1)!.checks)).toEqual([['required_tags', true]]);

    const lonely = await modelWith([await newRun()], { Production: [] });
    await expect(world.promotion.rollback(alice, lonely)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await world.registry.transitionStage(alice, { name: lonely, version: 1, stage: 'Production', archiveExisting: false });
    await expect(world.promotion.rollback(alice, lonely)).rejects.toThrow(/No earlier Production version/);
  });
});

describe('policies', () => {
  it('validates documents, naming the bad field; stage names are canonical, reserved aliases refused', async () => {
    const name = await modelWith([]);
    await expect(world.promotion.setPolicy(alice, name, { stages: { Production: { checks: [{ type: 'metric_threshold', metric: 'acc', op: '=>', value: 1 }] } } }))
      .rejects.toThrow(/stages\.Production\.checks\.0\.op/);
    await expect(world.promotion.setPolicy(alice, name, { stages: { Production: { checks: [{ type: 'vibes' }] } } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(world.promotion.setPolicy(alice, name, { stages: { Prod: { checks: [] } } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(world.promotion.setPolicy(alice, name, { aliases: { latest: { checks: [] } } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const view = await world.promotion.setPolicy(alice, name, { stages: { production: { checks: [{ type: 'approvals' }] } } });
    expect(view.policy).toEqual({ stages: { Production: { checks: [{ type: 'approvals', required: 1 }] } }, aliases: {} });
    expect(view.effective['@champion']).toEqual([{ type: 'approvals', required: 1 }]);
    expect(view.effective.Staging).toEqual([]);
    await world.promotion.deletePolicy(alice, name);
    expect((await world.promotion.getPolicy(alice, name)).effective.Production).toEqual(BUILT_IN_DEFAULT_POLICY.stages.Production!.checks);
  });
});
