import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, invalid, invalidState, notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { duckReader, type LocalFile } from '../datasets/data-file.js';
import { openDuckDb } from '../monitoring/file-table.js';
import { DEFAULT_PROJECT } from '../projects/types.js';
import { changedFields, digestOf, validateRepo } from './definitions.js';
import { evaluate, parseExpression, type Expr } from './expression.js';
import { ENTITY_TIMESTAMP, entityKey, keyText, latestPerEntity, pointInTimeJoin, type OutputFormat, type Requested, type ViewInput } from './offline.js';
import { compareSkew, type SkewReport } from './skew.js';
import type { SourceFiles } from './source-files.js';

export type { ViewSummary } from './types.js';
import type { EntityDef, FeatureStore, FeatureViewDef, ObjectKindName, OnlineResult, OnlineStore, OnlineValue, PlanItem, Registered, ViewSkewReport, ViewSummary, Watermark } from './types.js';

export interface LineageEdgeInput {
  readonly from: { kind: string; id: string };
  readonly to: { kind: string; id: string };
  readonly relation: string;
}

export interface FeatureServiceDeps {
  readonly store: FeatureStore;
  readonly online: OnlineStore;
  readonly access: Access;
  readonly clock: Clock;
  readonly sources: SourceFiles;
  /** Checks the caller may read a dataset version a view is defined on; its id, for lineage. */
  readonly datasetVersion: (actor: Actor, ref: string) => Promise<{ id: string }>;
  readonly lineage: (edges: readonly LineageEdgeInput[]) => Promise<void>;
  /**
   * Adds a training set file as a version of a dataset, as the caller (EDIT on the dataset, or on the project for a new
   * one), derived from the dataset versions the views read; the dataset version it became.
   */
  readonly registerTrainingSet?: ((actor: Actor, input: { dataset: string; file: LocalFile; derivedFrom: readonly string[]; project?: string | undefined }) => Promise<{ id: string; name: string; version: number }>) | undefined;
  /** A deployment's newest logged predictions that carried a feature vector (READ on the deployment), for skew checks. */
  readonly loggedVectors?: ((actor: Actor, deployment: string, opts: { limit: number; since?: number | undefined }) => Promise<LoggedVector[]>) | undefined;
  /** The project each registered object is in (feature views and entities). */
  readonly projectOf: (kind: 'feature_view', name: string) => Promise<string>;
  readonly tempDir?: string | undefined;
  /**
   * How long this server trusts the definitions it holds before asking the store whether any replica changed them
   * (one cheap stamp query; they are reread only when it moved). Its own applies take effect at once. Default 1000.
   */
  readonly definitionsRefreshMs?: number | undefined;
}

/** A prediction's feature vector as the deployment logged it: when, the join keys, the values the model was given. */
export interface LoggedVector {
  readonly time: number;
  readonly entity: Readonly<Record<string, string | number>>;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A training set registered as a dataset version. */
export interface TrainingSetVersion {
  readonly id: string;
  readonly name: string;
  readonly version: number;
}

export interface MaterializeResult {
  readonly view: string;
  readonly start?: number | undefined;
  readonly end: number;
  readonly rows: number;
}

interface Ref {
  readonly view: Registered<FeatureViewDef>;
  readonly feature: string;
}

const featureNames = (v: FeatureViewDef) => [...v.schema.map((f) => f.name), ...v.derived.map((d) => d.name)];

/** The registered definitions as the request path needs them, indexed once per change rather than per request. */
interface Catalog {
  readonly stamp: string;
  checkedAt: number;
  readonly views: readonly Registered<FeatureViewDef>[];
  readonly byName: ReadonlyMap<string, { readonly view: Registered<FeatureViewDef>; readonly features: ReadonlySet<string>; readonly derived: ReadonlyMap<string, Expr> }>;
  readonly entities: ReadonlyMap<string, EntityDef>;
}

/**
 * Feature views and entities from `feature_repo/*.yaml`, training sets joined point-in-time, an online store
 * filled by materialization and read with the TTL enforced, and training–serving skew checks.
 */
export class FeatureService {
  private duck: Promise<DuckDBInstance> | undefined;
  private readonly expressions = new Map<string, Expr>();
  private cached: Catalog | undefined;
  private loading: Promise<Catalog> | undefined;
  /** Moves on every local apply, so a load that started before it cannot put older definitions back. */
  private generation = 0;

  constructor(private readonly deps: FeatureServiceDeps) {}

  /**
   * The definitions, from memory while they are younger than `definitionsRefreshMs`; then the store's stamp says
   * whether another replica applied something, and only then are they read again.
   */
  private catalog(): Promise<Catalog> {
    const held = this.cached;
    if (held && performance.now() - held.checkedAt < (this.deps.definitionsRefreshMs ?? 1000)) return Promise.resolve(held);
    this.loading ??= (async () => {
      const generation = this.generation;
      const stamp = await this.deps.store.definitionsStamp();
      if (held && held.stamp === stamp && generation === this.generation) {
        held.checkedAt = performance.now();
        return held;
      }
      const [entities, views] = await Promise.all([this.deps.store.latestEntities(), this.deps.store.latestViews()]);
      const next: Catalog = {
        stamp, checkedAt: performance.now(), views,
        byName: new Map(views.map((v) => [v.name, { view: v, features: new Set(featureNames(v.spec)), derived: new Map(v.spec.derived.map((d) => [d.name, this.expression(d.expression)])) }])),
        entities: new Map(entities.map((e) => [e.name, e.spec])),
      };
      if (generation === this.generation) this.cached = next;
      return next;
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Forgets the definitions held in memory (after this server changed them). */
  private invalidate(): void {
    this.generation++;
    this.cached = undefined;
    this.loading = undefined;
  }

  private async connect() {
    this.duck ??= openDuckDb(this.deps.tempDir);
    const connection = await (await this.duck).connect();
    await connection.run("SET TimeZone = 'UTC'");
    return connection;
  }

  async close(): Promise<void> {
    const duck = await this.duck;
    duck?.closeSync();
    await this.deps.online.close();
  }

  /**
   * Validates definitions, compares them with what is registered in the project, and (unless a dry run) registers
   * the changes; with `prune`, views of the project missing from the definitions are deleted, as `feast apply` does.
   */
  async apply(actor: Actor, input: { definitions: unknown; project?: string | undefined; dryRun: boolean; prune?: boolean | undefined }): Promise<{ plan: PlanItem[]; applied: boolean }> {
    const project = input.project ?? DEFAULT_PROJECT;
    const repo = validateRepo(input.definitions);
    const [entities, views] = await Promise.all([this.deps.store.latestEntities(), this.deps.store.latestViews()]);
    const projectOfView = new Map(await Promise.all(views.map(async (v) => [v.name, await this.deps.projectOf('feature_view', v.name)] as const)));
    const inProject = views.filter((v) => projectOfView.get(v.name) === project);
    for (const v of repo.featureViews) {
      const elsewhere = projectOfView.get(v.name);
      if (elsewhere !== undefined && elsewhere !== project) throw new DomainError('RESOURCE_ALREADY_EXISTS', `Feature view '${v.name}' already exists in project '${elsewhere}'`);
    }
    // Entities are shared by name: one applied here replaces the registered one; unused ones are not deleted.
    const plan: PlanItem[] = [];
    // A new version number continues from the last one, even past a deletion.
    const lastVersions = new Map(await Promise.all([...repo.entities.map((e) => ['entity', e.name] as const), ...repo.featureViews.map((v) => ['feature_view', v.name] as const)]
      .map(async ([kind, name]) => [`${kind}:${name}`, await this.deps.store.lastVersion(kind, name)] as const)));
    const now = this.deps.clock.now();
    const newEntities: Registered<EntityDef>[] = [];
    const newViews: Registered<FeatureViewDef>[] = [];
    const step = <T extends object>(kind: ObjectKindName, name: string, spec: T, current: Registered<T> | undefined, out: Registered<T>[]) => {
      const digest = digestOf(spec);
      if (current && current.digest === digest) {
        plan.push({ kind, name, action: 'unchanged', fromVersion: current.version, changes: [] });
        return;
      }
      const version = (current?.version ?? lastVersions.get(`${kind}:${name}`) ?? 0) + 1;
      plan.push({ kind, name, action: current ? 'update' : 'create', ...(current ? { fromVersion: current.version } : {}), toVersion: version, changes: current ? changedFields(current.spec, spec) : [] });
      out.push({ name, version, spec, digest, createdBy: actor.userId, createdAt: now });
    };
    for (const e of repo.entities) step('entity', e.name, e, entities.find((x) => x.name === e.name), newEntities);
    for (const v of repo.featureViews) step('feature_view', v.name, v, inProject.find((x) => x.name === v.name), newViews);
    // Several people may apply their own files to one project: only with `prune` do the files speak for all of it.
    const deleted = input.prune ? inProject.filter((v) => !repo.featureViews.some((d) => d.name === v.name)) : [];
    for (const v of deleted) plan.push({ kind: 'feature_view', name: v.name, action: 'delete', fromVersion: v.version, changes: [] });
    // New objects need EDIT in the project; a plan that changes nothing needs READ there; changes to views are checked on each view.
    if (newEntities.length > 0 || plan.some((p) => p.action === 'create')) await this.deps.access.require(actor, 'EDIT', { kind: 'server', project });
    else if (plan.every((p) => p.action === 'unchanged')) await this.deps.access.require(actor, 'READ', { kind: 'server', project });
    for (const p of plan) {
      if (p.kind !== 'feature_view') continue;
      if (p.action === 'update') await this.deps.access.require(actor, 'EDIT', { kind: 'feature_view', id: p.name });
      if (p.action === 'delete') await this.deps.access.require(actor, 'MANAGE', { kind: 'feature_view', id: p.name });
    }
    for (const v of newViews) await this.deps.sources.check(v.spec.source);
    const datasetIds = new Map<string, string>();
    for (const v of newViews) if (v.spec.source.kind === 'dataset') datasetIds.set(v.name, (await this.deps.datasetVersion(actor, v.spec.source.dataset)).id);
    if (input.dryRun) return { plan, applied: false };
    try {
      await this.deps.store.apply({ entities: newEntities, views: newViews, deleted: deleted.map((v) => ({ kind: 'feature_view' as const, name: v.name })), at: now });
    } finally {
      this.invalidate();
    }
    for (const p of plan) if (p.kind === 'feature_view' && p.action === 'create') await this.deps.access.created(actor, { kind: 'feature_view', id: p.name }, project);
    for (const v of deleted) await this.deps.online.drop(v.name);
    const edges = [...datasetIds].map(([view, id]) => ({ from: { kind: 'dataset_version', id }, to: { kind: 'feature_view', id: view }, relation: 'consumed' }));
    if (edges.length) await this.deps.lineage(edges);
    return { plan, applied: true };
  }

  async listViews(actor: Actor, project?: string): Promise<ViewSummary[]> {
    await this.deps.access.require(actor, 'READ', { kind: 'server', ...(project ? { project } : {}) });
    const views = await this.deps.access.readable(actor, 'feature_view', await this.deps.store.latestViews(), (v) => v.name, project);
    const marks = new Map((await this.deps.store.watermarks()).map((w) => [w.view, w]));
    return views.map((v) => this.summary(v, marks.get(v.name)));
  }

  async getView(actor: Actor, name: string): Promise<ViewSummary & { versions: { version: number; createdAt: number; createdBy: string; digest: string }[]; entityDef: EntityDef | undefined; definition: FeatureViewDef; lastSkewReport: ViewSkewReport | undefined }> {
    await this.deps.access.require(actor, 'READ', { kind: 'feature_view', id: name });
    const versions = await this.deps.store.viewVersions(name);
    const latest = (await this.deps.store.latestViews()).find((v) => v.name === name);
    if (!latest) throw notFound(`Feature view '${name}'`);
    const entity = (await this.deps.store.latestEntities()).find((e) => e.name === latest.spec.entity)?.spec;
    const mark = (await this.deps.store.watermarks()).find((w) => w.view === name);
    const lastSkewReport = await this.deps.store.skewReport(name);
    return {
      ...this.summary(latest, mark), versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt, createdBy: v.createdBy, digest: v.digest })), entityDef: entity, definition: latest.spec,
      lastSkewReport,
    };
  }

  /** Every view's freshness, for the server's /metrics (no caller: Prometheus scrapes as the platform). */
  async freshness(): Promise<ViewSummary[]> {
    const marks = new Map((await this.deps.store.watermarks()).map((w) => [w.view, w]));
    return (await this.deps.store.latestViews()).map((v) => this.summary(v, marks.get(v.name)));
  }

  private summary(v: Registered<FeatureViewDef>, mark: Watermark | undefined): ViewSummary {
    const staleness = mark ? Math.max(0, (this.deps.clock.now() - mark.until) / 1000) : undefined;
    return {
      name: v.name, version: v.version, entity: v.spec.entity, features: featureNames(v.spec), ttlSeconds: v.spec.ttlSeconds, owner: v.spec.owner, tags: v.spec.tags, source: v.spec.source,
      createdAt: v.createdAt, createdBy: v.createdBy,
      ...(mark ? { materializedUntil: mark.until, materializedAt: mark.updatedAt, stalenessSeconds: staleness } : {}),
      stale: mark === undefined || (v.spec.ttlSeconds > 0 && staleness! > v.spec.ttlSeconds),
    };
  }

  /** `view:feature`, or a feature name that only one view has. Each view is checked for READ, once per call. */
  private async resolve(actor: Actor, refs: readonly string[], permission: 'READ' | 'EDIT' = 'READ'): Promise<Ref[]> {
    if (refs.length === 0) throw invalid('Name at least one feature, as view:feature');
    const catalog = await this.catalog();
    const out: Ref[] = [];
    const checked = new Set<string>();
    const seen = new Set<string>();
    const check = async (name: string) => {
      if (checked.has(name)) return;
      await this.deps.access.require(actor, permission, { kind: 'feature_view', id: name });
      checked.add(name);
    };
    for (const ref of refs) {
      const colon = ref.indexOf(':');
      let view: Registered<FeatureViewDef> | undefined;
      let feature: string;
      if (colon >= 0) {
        feature = ref.slice(colon + 1);
        const name = ref.slice(0, colon);
        await check(name);
        const entry = catalog.byName.get(name);
        if (!entry) throw notFound(`Feature view '${name}'`);
        if (!entry.features.has(feature)) throw invalid(`Feature view '${name}' has no feature '${feature}' (it has ${featureNames(entry.view.spec).join(', ')})`);
        view = entry.view;
      } else {
        feature = ref;
        const having = await this.deps.access.readable(actor, 'feature_view', catalog.views.filter((v) => catalog.byName.get(v.name)!.features.has(ref)), (v) => v.name);
        if (having.length === 0) throw notFound(`Feature '${ref}'`);
        if (having.length > 1) throw invalid(`Feature '${ref}' is in several views (${having.map((v) => v.name).join(', ')}); name it as view:feature`);
        view = having[0]!;
        await check(view.name);
      }
      if (seen.has(feature)) throw invalid(`Feature '${feature}' is requested twice`);
      seen.add(feature);
      out.push({ view, feature });
    }
    return out;
  }

  private async entityOf(view: FeatureViewDef): Promise<EntityDef> {
    const entity = (await this.catalog()).entities.get(view.entity);
    if (!entity) throw new DomainError('INVALID_STATE', `Entity '${view.entity}' of feature view '${view.name}' is not registered`);
    return entity;
  }

  /** Runs `work` with every view's source files at hand. */
  private async withInputs<T>(views: readonly Registered<FeatureViewDef>[], work: (inputs: ViewInput[]) => Promise<T>): Promise<T> {
    const inputs: ViewInput[] = [];
    const next = async (i: number): Promise<T> => {
      if (i === views.length) return work(inputs);
      const view = views[i]!.spec;
      const entity = await this.entityOf(view);
      return this.deps.sources.with(view.source, async (files) => {
        inputs.push({ view, entity, files });
        return next(i + 1);
      });
    };
    return next(0);
  }

  private grouped(refs: readonly Ref[]): { view: Registered<FeatureViewDef>; features: string[] }[] {
    const groups = new Map<string, { view: Registered<FeatureViewDef>; features: string[] }>();
    for (const r of refs) {
      const g = groups.get(r.view.name) ?? { view: r.view, features: [] };
      g.features.push(r.feature);
      groups.set(r.view.name, g);
    }
    return [...groups.values()];
  }

  /**
   * A point-in-time correct training set: the entity rows (join keys and `event_timestamp`, any other columns
   * kept) with each feature as it was at the row's time. Written to `out`; lineage links each view to it.
   */
  async historical(actor: Actor, input: {
    entities: LocalFile; features: readonly string[]; out: { path: string; format: OutputFormat }; entityColumns?: readonly string[];
    /** Register the result as a new version of this dataset (in `project` when the dataset is new). */
    dataset?: { name: string; project?: string | undefined } | undefined;
  }): Promise<{ rows: number; trainingSet: string; features: string[]; dataset?: TrainingSetVersion | undefined }> {
    const refs = await this.resolve(actor, input.features);
    if (input.dataset && !this.deps.registerTrainingSet) throw new DomainError('INVALID_STATE', 'This server cannot register training sets as dataset versions');
    const groups = this.grouped(refs);
    const result = await this.withInputs(groups.map((g) => g.view), async (inputs) => {
      const connection = await this.connect();
      try {
        const requested: Requested[] = groups.map((g, i) => ({ input: inputs[i]!, features: g.features }));
        return await pointInTimeJoin(connection, input.entities, requested, input.out);
      } finally {
        connection.closeSync();
      }
    });
    if (input.dataset) {
      // The training set is a dataset version: derived from the dataset versions the views read, produced by the views.
      const derivedFrom = [...new Set(groups.flatMap((g) => (g.view.spec.source.kind === 'dataset' ? [g.view.spec.source.dataset] : [])))];
      const name = path.basename(input.out.path);
      const dataset = await this.deps.registerTrainingSet!(actor, { dataset: input.dataset.name, file: { local: input.out.path, name }, derivedFrom, project: input.dataset.project });
      await this.deps.lineage(groups.map((g) => ({ from: { kind: 'feature_view', id: g.view.name }, to: { kind: 'dataset_version', id: dataset.id }, relation: 'produced' })));
      return { rows: result.rows, trainingSet: `${dataset.name}@${dataset.version}`, features: refs.map((r) => r.feature), dataset };
    }
    const trainingSet = newHexId();
    await this.deps.lineage(groups.map((g) => ({ from: { kind: 'feature_view', id: g.view.name }, to: { kind: 'training_set', id: trainingSet }, relation: 'produced' })));
    return { rows: result.rows, trainingSet, features: refs.map((r) => r.feature) };
  }

  /** Loads the newest row per entity in the window into the online store, and moves each view's watermark. */
  async materialize(actor: Actor, input: { views?: readonly string[] | undefined; start?: number | undefined; end?: number | undefined; incremental: boolean }): Promise<MaterializeResult[]> {
    if (!input.incremental && input.start === undefined) throw invalid('Give a start (and an end), or materialize incrementally');
    const all = await this.deps.store.latestViews();
    const names = input.views?.length ? input.views : all.map((v) => v.name);
    const views: Registered<FeatureViewDef>[] = [];
    for (const name of names) {
      await this.deps.access.require(actor, 'EDIT', { kind: 'feature_view', id: name });
      const view = all.find((v) => v.name === name);
      if (!view) throw notFound(`Feature view '${name}'`);
      views.push(view);
    }
    const marks = new Map((await this.deps.store.watermarks()).map((w) => [w.view, w]));
    const end = input.end ?? this.deps.clock.now();
    const out: MaterializeResult[] = [];
    for (const view of views) {
      const mark = marks.get(view.name);
      const start = input.incremental ? (mark?.until ?? (view.spec.ttlSeconds > 0 ? end - view.spec.ttlSeconds * 1000 : undefined)) : input.start;
      if (start !== undefined && start > end) throw invalid(`The window of '${view.name}' starts (${new Date(start).toISOString()}) after it ends (${new Date(end).toISOString()})`);
      const rows = await this.withInputs([view], async ([viewInput]) => {
        const connection = await this.connect();
        try {
          return await latestPerEntity(connection, viewInput!, { start, end });
        } finally {
          connection.closeSync();
        }
      });
      await this.deps.online.write(view.name, rows);
      await this.deps.store.setWatermark({ view: view.name, until: Math.max(end, mark?.until ?? end), rows: rows.length, updatedAt: this.deps.clock.now() });
      out.push({ view: view.name, ...(start !== undefined ? { start } : {}), end, rows: rows.length });
    }
    return out;
  }

  /**
   * The latest values of features for entities, from the online store. A value older than its view's TTL is not
   * served: it comes back null with status OUTSIDE_MAX_AGE and a warning naming the feature.
   */
  async online(actor: Actor, input: {
    features: readonly string[]; entities: Readonly<Record<string, readonly unknown[]>>;
    /** Give a value older than its TTL too (still flagged OUTSIDE_MAX_AGE): a deployment configured to score stale values with a warning. */
    passStale?: boolean | undefined;
  }): Promise<OnlineResult> {
    const refs = await this.resolve(actor, input.features);
    const lengths = [...new Set(Object.values(input.entities).map((v) => v.length))];
    if (lengths.length !== 1) throw invalid(Object.keys(input.entities).length === 0 ? 'Give the entities as join key → values' : 'Every join key needs as many values');
    const count = lengths[0]!;
    const now = this.deps.clock.now();
    const values: Record<string, OnlineValue>[] = Array.from({ length: count }, () => ({}));
    const stale = new Map<string, number>();
    const catalog = await this.catalog();
    const groups = this.grouped(refs);
    // Every view's keys first (a bad key fails before any read), then the views' reads at once.
    const keysOf = groups.map((g) => {
      const entity = catalog.entities.get(g.view.spec.entity);
      if (!entity) throw new DomainError('INVALID_STATE', `Entity '${g.view.spec.entity}' of feature view '${g.view.name}' is not registered`);
      const columns = entity.joinKeys.map((k) => {
        const column = input.entities[k.name];
        if (!column) throw invalid(`Feature view '${g.view.name}' needs the join key '${k.name}' of entity '${entity.name}'`);
        return column;
      });
      return Array.from({ length: count }, (_, i) => entityKey(entity.joinKeys.map((k, j) => {
        const text = keyText(columns[j]![i], k.type);
        if (text === undefined) throw invalid(`Join key '${k.name}' is ${k.type}; got ${JSON.stringify(columns[j]![i])}`);
        return text;
      })));
    });
    const read = await Promise.all(groups.map((g, i) => this.deps.online.read(g.view.name, keysOf[i]!)));
    groups.forEach((g, gi) => {
      const derived = catalog.byName.get(g.view.name)?.derived ?? new Map<string, Expr>();
      const ttlMs = g.view.spec.ttlSeconds * 1000;
      read[gi]!.forEach((row, i) => {
        const out = values[i]!;
        for (const f of g.features) {
          if (!row) {
            out[f] = { value: null, status: 'NOT_FOUND' };
            continue;
          }
          const expired = ttlMs > 0 && now - row.eventTime > ttlMs;
          if (expired) stale.set(f, (stale.get(f) ?? 0) + 1);
          if (expired && !input.passStale) {
            out[f] = { value: null, status: 'OUTSIDE_MAX_AGE', eventTime: row.eventTime };
            continue;
          }
          const expression = derived.get(f);
          const value = expression !== undefined ? evaluate(expression, row.values) : (row.values[f] ?? null);
          out[f] = { value, status: expired ? 'OUTSIDE_MAX_AGE' : value === null ? 'NULL_VALUE' : 'PRESENT', eventTime: row.eventTime };
        }
      });
    });
    const ttlOf = new Map(refs.map((r) => [r.feature, r.view.spec.ttlSeconds]));
    const warnings = [...stale].map(([f, n]) => `${f}: ${n} value(s) older than the view's TTL (${ttlOf.get(f)}s) ${input.passStale ? 'were passed on' : 'were withheld'} (OUTSIDE_MAX_AGE); materialize the view to refresh them`);
    const entities = Array.from({ length: count }, (_, i) => Object.fromEntries(Object.entries(input.entities).map(([k, v]) => [k, v[i]])));
    return { features: refs.map((r) => r.feature), rows: entities.map((entity, i) => ({ entity, values: values[i]! })), warnings };
  }

  /**
   * Checks a deployment's feature list for the one configuring it (READ on every view) and gives the join keys a
   * request must carry: those of the features' entities. Keys named in `entityKeys` must be exactly those.
   */
  async servingKeys(actor: Actor, input: { features: readonly string[]; entityKeys?: readonly string[] | undefined }): Promise<string[]> {
    const refs = await this.resolve(actor, input.features);
    const keys: string[] = [];
    for (const g of this.grouped(refs)) {
      for (const k of (await this.entityOf(g.view.spec)).joinKeys) if (!keys.includes(k.name)) keys.push(k.name);
    }
    if (input.entityKeys) {
      const missing = keys.filter((k) => !input.entityKeys!.includes(k));
      const extra = input.entityKeys.filter((k) => !keys.includes(k));
      if (missing.length || extra.length) {
        throw invalid(`Invalid value for parameter 'features.entityKeys': the features' entities have the join keys ${keys.join(', ')}${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not a join key: ${extra.join(', ')}` : ''}`);
      }
    }
    return keys;
  }

  /**
   * The feature vectors a deployment scores, one per entity row: the online API's read, so the TTL is enforced the
   * same way. A value the model cannot be given is refused naming the feature and the entity: nothing materialized
   * (NOT_FOUND), a null, or (unless `onStale` is 'warn') a value older than its TTL; passed stale values are named
   * in `warnings`.
   */
  async servingVectors(actor: Actor, input: { features: readonly string[]; entities: Readonly<Record<string, readonly unknown[]>>; onStale: 'refuse' | 'warn' }): Promise<{
    columns: string[]; vectors: { entity: Record<string, string | number>; values: Record<string, string | number | boolean | null> }[]; warnings: readonly string[];
  }> {
    const result = await this.online(actor, { features: input.features, entities: input.entities, passStale: input.onStale === 'warn' });
    const columns = [...result.features];
    const vectors = result.rows.map((row) => {
      const entity = Object.fromEntries(Object.entries(row.entity).map(([k, v]) => [k, typeof v === 'number' ? v : String(v)]));
      const who = Object.entries(entity).map(([k, v]) => `${k}=${v}`).join(', ');
      const values: Record<string, string | number | boolean | null> = {};
      for (const f of columns) {
        const v = row.values[f]!;
        if (v.status === 'NOT_FOUND') throw invalid(`Feature '${f}' has no online value for ${who} (NOT_FOUND): nothing is materialized for this entity`);
        if (v.status === 'NULL_VALUE') throw invalidState(`Feature '${f}' is null for ${who} (NULL_VALUE): the model cannot be given a missing value`);
        if (v.status === 'OUTSIDE_MAX_AGE' && input.onStale === 'refuse') {
          throw invalidState(`Feature '${f}' for ${who} is older than its view's TTL (OUTSIDE_MAX_AGE): materialize the view, or set the deployment's features.onStale to 'warn' to score stale values`);
        }
        if (v.value === null) throw invalidState(`Feature '${f}' is null for ${who}: the model cannot be given a missing value`);
        values[f] = v.value as string | number | boolean;
      }
      return { entity, values };
    });
    return { columns, vectors, warnings: result.warnings };
  }

  private expression(text: string): Expr {
    let e = this.expressions.get(text);
    if (!e) {
      e = parseExpression(text);
      this.expressions.set(text, e);
    }
    return e;
  }

  /**
   * Training–serving skew over what a deployment's model really saw: its newest logged predictions that carried a
   * feature vector, each recomputed offline at the prediction's time. `features` defaults to every feature logged.
   */
  async skewFromLog(actor: Actor, input: { deployment: string; features?: readonly string[] | undefined; limit: number; since?: number | undefined; tolerance: number }): Promise<SkewReport & { deployment: string }> {
    if (!this.deps.loggedVectors) throw new DomainError('INVALID_STATE', 'This server keeps no prediction logs');
    // Features named up front are checked (READ on their views) before the log is read.
    if (input.features?.length) await this.resolve(actor, input.features);
    const logged = await this.deps.loggedVectors(actor, input.deployment, { limit: input.limit, since: input.since });
    if (logged.length === 0) {
      throw invalid(`Deployment '${input.deployment}' has logged no feature vectors${input.since !== undefined ? ` since ${new Date(input.since).toISOString()}` : ''}: send parameters.feature_vector with its requests and set its logging.sampleRate above 0`);
    }
    const refs = input.features?.length ? input.features : [...new Set(logged.flatMap((l) => Object.keys(l.values)))];
    const columns = refs.map((r) => r.slice(r.indexOf(':') + 1));
    // Oldest first, as the requests came; a feature a vector lacks was not given to the model: null.
    const rows = [...logged].sort((a, b) => a.time - b.time).map((l) => ({
      ...l.entity, [ENTITY_TIMESTAMP]: new Date(l.time).toISOString(), ...Object.fromEntries(columns.map((c) => [c, l.values[c] ?? null])),
    }));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-logged-'));
    try {
      const sample = { local: path.join(dir, 'logged.jsonl'), name: 'logged.jsonl' };
      await fs.writeFile(sample.local, rows.map((r) => JSON.stringify(r)).join('\n'));
      return { deployment: input.deployment, ...(await this.skew(actor, { sample, features: refs, tolerance: input.tolerance })) };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Training–serving skew: a sample of the feature values a server used (join keys, `event_timestamp`, one column per
   * feature) against the offline values for the same entities and times, per feature.
   */
  async skew(actor: Actor, input: { sample: LocalFile; features: readonly string[]; tolerance: number }): Promise<SkewReport> {
    const refs = await this.resolve(actor, input.features);
    const groups = this.grouped(refs);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-skew-'));
    try {
      const connection = await this.connect();
      try {
        const served = (await connection.runAndReadAll(`SELECT * FROM ${duckReader(input.sample)}`)).getRowObjectsJson() as Record<string, unknown>[];
        const columns = served.length ? Object.keys(served[0]!) : [];
        const missing = refs.map((r) => r.feature).filter((f) => !columns.includes(f));
        if (missing.length) throw invalid(`The sample has no column for ${missing.map((m) => `'${m}'`).join(', ')}`);
        const keyColumns = columns.filter((c) => !refs.some((r) => r.feature === c));
        const keysFile = path.join(dir, 'keys.parquet');
        await connection.run(`COPY (SELECT ${keyColumns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ')} FROM ${duckReader(input.sample)}) TO '${keysFile.replace(/'/g, "''")}' (FORMAT parquet)`);
        const outFile = path.join(dir, 'offline.json');
        await this.withInputs(groups.map((g) => g.view), (inputs) => pointInTimeJoin(connection, { local: keysFile, name: 'sample.parquet' }, groups.map((g, i) => ({ input: inputs[i]!, features: g.features })), { path: outFile, format: 'json' }));
        const offline = (await fs.readFile(outFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        const report = compareSkew(refs.map((r) => ({ name: r.feature, numeric: r.view.spec.schema.find((s) => s.name === r.feature)?.type !== 'string' && r.view.spec.schema.find((s) => s.name === r.feature)?.type !== 'bool' })), served, offline, input.tolerance);
        const checkedAt = this.deps.clock.now();
        for (const g of groups) {
          await this.deps.store.saveSkewReport({
            view: g.view.name, rows: report.rows, tolerance: report.tolerance, features: report.features.filter((f) => g.features.includes(f.feature)), checkedBy: actor.userId, checkedAt,
          });
        }
        return report;
      } finally {
        connection.closeSync();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}
