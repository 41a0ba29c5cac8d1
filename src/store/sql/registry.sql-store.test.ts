import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter, parseOrderBy } from '../../domain/tracking/search-filter.js';
import type { Move, PromotionStore, RegistryQuery, RegistryStore } from '../../domain/registry/registry.store.js';
import type { Target } from '../../domain/registry/types.js';
import { testBackends } from '../../../test/support/backends.js';
import type { DatabaseHandle } from '../db.js';
import { SqlPromotionStore } from './promotion.sql-store.js';
import { SqlRegistryStore } from './registry.sql-store.js';

const PRODUCTION: Target = { kind: 'stage', stage: 'Production' };
const STAGING: Target = { kind: 'stage', stage: 'Staging' };
const query = (filter = '', orderBy: string[] = [], page: Partial<RegistryQuery> = {}): RegistryQuery => ({
  filter: parseFilter(filter), orderBy: orderBy.map(parseOrderBy), excludePrompts: true, maxResults: 100, offset: 0, ...page,
});

for (const backend of testBackends()) {
  describe(`registry store on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: RegistryStore;
    let promotion: PromotionStore;
    let t = 1_000;
    const now = () => ++t;

    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlRegistryStore(handle);
      promotion = new SqlPromotionStore(handle);
    });
    afterAll(() => handle.close());

    const model = async (name: string, tags: { key: string; value: string }[] = []) => {
      await store.createRegisteredModel({ name, tags, now: now() });
      return name;
    };
    const version = (name: string, extra: { runId?: string; source?: string; tags?: { key: string; value: string }[] } = {}) =>
      store.createModelVersion({
        name, source: extra.source ?? 'runs:/r/model', storageLocation: extra.source ?? 'runs:/r/model', userId: 'alice', tags: extra.tags ?? [], now: now(),
        ...(extra.runId ? { runId: extra.runId } : {}),
      });
    const move = (name: string, v: number, target: Target, extra: Partial<Move> = {}): Move => ({
      name, version: v, target, archiveExisting: false, kind: target.kind === 'stage' ? 'transition' : 'alias', actor: 'alice', checks: [], now: now(), ...extra,
    });

    it('creates a model once; a second create with the same name is RESOURCE_ALREADY_EXISTS and changes nothing', async () => {
      await model('dup', [{ key: 'team', value: 'a' }]);
      await expect(store.createRegisteredModel({ name: 'dup', tags: [{ key: 'team', value: 'b' }], now: now() })).rejects.toMatchObject({
        code: 'RESOURCE_ALREADY_EXISTS',
      });
      expect((await store.getRegisteredModel('dup'))?.tags).toEqual([{ key: 'team', value: 'a' }]);
    });

    it('numbers versions from 1 and never reuses the number of a deleted version', async () => {
      const name = await model('numbering');
      expect([await version(name), await version(name), await version(name)]).toEqual([1, 2, 3]);
      expect(await store.deleteModelVersion(name, 3, now())).toBe(true);
      expect(await store.getModelVersion(name, 3)).toBeUndefined();
      expect(await version(name)).toBe(4);
      await expect(version('no-such-model')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('gives concurrent creates distinct consecutive numbers', async () => {
      const name = await model('concurrent-versions');
      const numbers = await Promise.all(Array.from({ length: 12 }, () => version(name)));
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });

    it('renames a model with its versions; a taken or unknown name is refused', async () => {
      const name = await model('old-name');
      await version(name);
      await model('taken');
      await expect(store.renameRegisteredModel(name, 'taken', now())).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await expect(store.renameRegisteredModel('ghost', 'x', now())).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await store.renameRegisteredModel(name, 'new-name', now());
      expect(await store.getRegisteredModel('old-name')).toBeUndefined();
      expect((await store.getModelVersion('new-name', 1))?.name).toBe('new-name');
    });

    it('upserts and deletes tags on models and versions', async () => {
      const name = await model('tagged');
      await version(name, { tags: [{ key: 'a', value: '1' }] });
      expect(await store.setRegisteredModelTag(name, { key: 'k', value: 'v1' })).toBe(true);
      await store.setRegisteredModelTag(name, { key: 'k', value: 'v2' });
      expect((await store.getRegisteredModel(name))?.tags).toEqual([{ key: 'k', value: 'v2' }]);
      await store.deleteRegisteredModelTag(name, 'k');
      expect((await store.getRegisteredModel(name))?.tags).toEqual([]);
      await store.setModelVersionTag(name, 1, { key: 'a', value: '2' });
      expect((await store.getModelVersion(name, 1))?.tags).toEqual([{ key: 'a', value: '2' }]);
      expect(await store.setModelVersionTag(name, 9, { key: 'a', value: '2' })).toBe(false);
      expect(await store.setRegisteredModelTag('ghost', { key: 'a', value: '2' })).toBe(false);
    });

    it('moves a stage with archive_existing in one transaction, recording every version it touched', async () => {
      const name = await model('stages');
      for (let i = 0; i < 3; i++) await version(name);
      await promotion.applyMoves([move(name, 1, PRODUCTION)]);
      await promotion.applyMoves([move(name, 2, PRODUCTION)]);
      await promotion.applyMoves([move(name, 3, PRODUCTION, { archiveExisting: true, reason: 'better' })]);
      const stages = await Promise.all([1, 2, 3].map(async (v) => (await store.getModelVersion(name, v))?.currentStage));
      expect(stages).toEqual(['Archived', 'Archived', 'Production']);
      const history = await promotion.history(name);
      expect(history.map((h) => [h.version, h.fromStage, h.toStage])).toEqual([
        [1, 'None', 'Production'], [2, 'None', 'Production'], [1, 'Production', 'Archived'], [2, 'Production', 'Archived'], [3, 'None', 'Production'],
      ]);
      expect(history[4]).toMatchObject({ kind: 'transition', actor: 'alice', reason: 'better', target: PRODUCTION });
      expect((await store.latestVersions(name, ['Production', 'Archived'])).map((v) => [v.version, v.currentStage])).toEqual([[3, 'Production'], [2, 'Archived']]);
    });

    it('applies nothing when one move of a batch names a missing version', async () => {
      const name = await model('atomic');
      await version(name);
      await expect(promotion.applyMoves([move(name, 1, PRODUCTION), move(name, 7, { kind: 'alias', alias: 'champion' })])).rejects.toMatchObject({
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
      expect((await store.getModelVersion(name, 1))?.currentStage).toBe('None');
      expect(await promotion.history(name)).toEqual([]);
    });

    it('moves aliases, remembers the previous holder, and drops an alias with its version', async () => {
      const name = await model('aliases');
      await version(name);
      await version(name);
      const champion: Target = { kind: 'alias', alias: 'champion' };
      await promotion.applyMoves([move(name, 1, champion)]);
      await promotion.applyMoves([move(name, 2, champion)]);
      expect(await store.getAliasVersion(name, 'champion')).toBe(2);
      expect((await store.getModelVersion(name, 2))?.aliases).toEqual(['champion']);
      expect((await store.getRegisteredModel(name))?.aliases).toEqual([{ alias: 'champion', version: 2 }]);
      expect((await promotion.history(name, 2)).map((h) => h.previousVersion)).toEqual([1]);
      await store.deleteModelVersion(name, 2, now());
      expect(await store.getAliasVersion(name, 'champion')).toBeUndefined();
      expect((await promotion.history(name, 2))).toHaveLength(1);
    });

    it('searches models by name (LIKE case-sensitive on both backends), tags, and leaves prompts out', async () => {
      await model('Search-Alpha', [{ key: 'team', value: 'fraud' }]);
      await model('search-beta', [{ key: 'team', value: 'churn' }]);
      await model('search-prompt', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
      const names = async (q: RegistryQuery) => (await store.searchRegisteredModels(q)).items.map((m) => m.name);
      expect(await names(query("name LIKE 'search-%'"))).toEqual(['search-beta']);
      expect(await names(query("name ILIKE 'search-%'"))).toEqual(['Search-Alpha', 'search-beta']);
      expect(await names(query("name ILIKE 'search-%' and tags.team = 'fraud'"))).toEqual(['Search-Alpha']);
      expect(await names({ ...query("name ILIKE 'search-%'"), excludePrompts: false })).toEqual(['Search-Alpha', 'search-beta', 'search-prompt']);
      expect(await names(query("name ILIKE 'search-%'", ['name DESC']))).toEqual(['search-beta', 'Search-Alpha']);
      const first = await store.searchRegisteredModels(query("name ILIKE 'search-%'", [], { maxResults: 1 }));
      expect(first.items.map((m) => m.name)).toEqual(['Search-Alpha']);
      const second = await store.searchRegisteredModels(query("name ILIKE 'search-%'", [], { maxResults: 1, offset: first.nextOffset! }));
      expect(second.items.map((m) => m.name)).toEqual(['search-beta']);
      expect(second.nextOffset).toBeUndefined();
    });

    it('returns each model with the newest version per stage', async () => {
      const name = await model('latest');
      for (let i = 0; i < 4; i++) await version(name);
      await promotion.applyMoves([move(name, 2, STAGING), move(name, 1, PRODUCTION)]);
      const m = await store.getRegisteredModel(name);
      expect(m?.latestVersions.map((v) => [v.version, v.currentStage])).toEqual([[1, 'Production'], [2, 'Staging'], [4, 'None']]);
    });

    it('searches versions by name, run_id IN, version_number and tags, in the requested order', async () => {
      const name = await model('vsearch');
      await version(name, { runId: 'run-a' });
      await version(name, { runId: 'run-b', tags: [{ key: 'ok', value: 'yes' }] });
      await version(name, { runId: 'run-c' });
      const versions = async (filter: string, order: string[] = ['version_number ASC']) =>
        (await store.searchModelVersions(query(filter, order))).items.map((v) => v.version);
      expect(await versions("name = 'vsearch'")).toEqual([1, 2, 3]);
      expect(await versions("name = 'vsearch' and run_id IN ('run-a', 'run-c')")).toEqual([1, 3]);
      expect(await versions("name = 'vsearch' and version_number >= 2", ['version_number DESC'])).toEqual([3, 2]);
      expect(await versions("name = 'vsearch' and tags.ok = 'yes'")).toEqual([2]);
      expect(await versions("name = 'vsearch' and source_path = 'runs:/r/model'")).toEqual([1, 2, 3]);
    });

    it('keeps one pending request per version and target, and one approval per user', async () => {
      const name = await model('requests');
      await version(name);
      const id = await promotion.createRequest({ name, version: 1, target: PRODUCTION, archiveExisting: true, requester: 'alice', checks: [], now: now() });
      await expect(promotion.createRequest({ name, version: 1, target: PRODUCTION, archiveExisting: true, requester: 'bob', checks: [], now: now() }))
        .rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await promotion.addApproval(id, { userId: 'bob', time: now() });
      await expect(promotion.addApproval(id, { userId: 'bob', time: now() })).rejects.toMatchObject({ code: 'INVALID_STATE' });
      expect((await promotion.getRequest(id))?.approvals.map((a) => a.userId)).toEqual(['bob']);
      expect(await promotion.resolveRequest(id, 'withdrawn', 'alice', 'not yet', now())).toBe(true);
      await expect(promotion.addApproval(id, { userId: 'carol', time: now() })).rejects.toMatchObject({ code: 'INVALID_STATE' });
      expect(await promotion.resolveRequest(id, 'rejected', 'carol', undefined, now())).toBe(false);
      // Once resolved, a new request for the same target may be opened.
      const again = await promotion.createRequest({ name, version: 1, target: PRODUCTION, archiveExisting: true, requester: 'alice', checks: [], now: now() });
      expect((await promotion.listRequests({ name, state: 'pending' })).map((r) => r.id)).toEqual([again]);
    });

    it('completes a request at most once under concurrent completions: exactly one move happens', async () => {
      const name = await model('race');
      await version(name);
      const id = await promotion.createRequest({ name, version: 1, target: PRODUCTION, archiveExisting: true, requester: 'alice', checks: [], now: now() });
      const outcomes = await Promise.all(
        ['bob', 'carol', 'dave', 'erin'].map((user) =>
          promotion.applyMoves([move(name, 1, PRODUCTION, { archiveExisting: true })], { requestId: id, resolvedBy: user, checks: [], now: now() }),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await promotion.history(name)).toHaveLength(1);
      expect((await promotion.getRequest(id))?.state).toBe('completed');
    });

    it('stores, replaces and deletes a model policy', async () => {
      const name = await model('policied');
      const policy = { stages: { Production: { checks: [{ type: 'approvals' as const, required: 2 }] } }, aliases: {} };
      await promotion.setPolicy(name, policy, 'alice', now());
      expect(await promotion.getPolicy(name)).toEqual(policy);
      await promotion.setPolicy(name, { stages: {}, aliases: {} }, 'alice', now());
      expect(await promotion.getPolicy(name)).toEqual({ stages: {}, aliases: {} });
      expect(await promotion.deletePolicy(name)).toBe(true);
      expect(await promotion.getPolicy(name)).toBeUndefined();
      await expect(promotion.setPolicy('ghost', policy, 'alice', now())).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('deletes a model with everything that hangs off it', async () => {
      const name = await model('doomed');
      await version(name);
      await promotion.applyMoves([move(name, 1, PRODUCTION)]);
      await promotion.createRequest({ name, version: 1, target: STAGING, archiveExisting: false, requester: 'alice', checks: [], now: now() });
      expect(await store.deleteRegisteredModel(name)).toBe(true);
      expect(await store.getRegisteredModel(name)).toBeUndefined();
      expect(await promotion.listRequests({ name })).toEqual([]);
      await model(name);
      expect(await promotion.history(name)).toEqual([]);
      expect(await version(name)).toBe(1);
    });
  });
}
