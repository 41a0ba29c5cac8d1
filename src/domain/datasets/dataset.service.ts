import { pipeline, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { ArtifactBody, ArtifactStore } from '../../artifacts/artifact-store.js';
import { safeArtifactPath } from '../../artifacts/safe-path.js';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, isDomainError, notFound } from '../../core/errors.js';
import { noteChange } from '../../core/audit-notes.js';
import { newHexId } from '../../core/ids.js';
import { validateProjectName } from '../projects/types.js';
import type { Access } from '../access/access.js';
import { blobPath, digestMismatch, VerifyingStream, withLocalFiles } from './blob-files.js';
import { nodeLabel, type NodeFacts } from './lineage-label.js';
import { BlobKeeper, uploadHolder, type GcReport } from './blob-keeper.js';
import { TABULAR, type LocalFile } from './data-file.js';
import { composeDatasheet, datasheetMarkdown } from './datasheet.js';
import type { DatasetStore } from './datasets.store.js';
import { rootDigest, sha256Hex } from './digest.js';
import { profileTable } from './profile-file.js';
import { EXACT_PROFILE_ROWS, type DatasetFile, type DatasetVersion, type Datasheet, type DatasheetSection, type LineageEdge, type LineageGraph, type LineageNode, type LineageOrigin } from './types.js';
import { diffRows, diffVersions, type VersionDiff } from './version-diff.js';

/** A file of a new version: its bytes inline (small files), or the digest of content uploaded before with `putBlob`. */
export type NewFile = { readonly path: string; readonly content: Uint8Array } | { readonly path: string; readonly sha256: string; readonly size: number };

/** `name@3`, `name@prod`, or `name` (= `name@latest`). */
export interface DatasetRef {
  readonly name: string;
  readonly ref?: string | undefined;
}

export interface AddVersionInput {
  readonly name: string;
  readonly files: readonly NewFile[];
  readonly labels?: readonly string[] | undefined;
  /** Versions this one was made from; recorded as `derived_from` edges. */
  readonly derivedFrom?: readonly DatasetRef[] | undefined;
  /** The run that made it: the sources were `consumed` by it and it `produced` this version. */
  readonly producedBy?: string | undefined;
  /** An empty (0-byte) file is added with a warning (the default), or refuses the add. */
  readonly emptyFiles?: 'warn' | 'refuse' | undefined;
  /** The project a new dataset goes in (default: `default`); ignored for a dataset that exists. */
  readonly project?: string | undefined;
}

const MAX_DEPTH = 50;
/** The run tags `resolveRunTags` adds: the version a `dataset_version` tag meant, or why it is not linked. */
export const RESOLVED_DATASET_TAG = 'openexpert.dataset_version';
export const DATASET_WARNING_TAG = 'openexpert.warning.dataset_version';
const SHA256 = /^[0-9a-f]{64}$/;

export function parseDatasetRef(text: string): DatasetRef {
  const at = text.lastIndexOf('@');
  return at < 0 ? { name: text } : { name: text.slice(0, at), ref: text.slice(at + 1) };
}

const label = (v: DatasetVersion) => `${v.name}@${v.version}`;
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

const formatOf = (p: string) => {
  const ext = /\.([a-z]+)$/i.exec(p)?.[1]?.toLowerCase() ?? '';
  return ext === 'jsonl' || ext === 'ndjson' ? 'json' : ext;
};
/** Between formats with as many files, rows are more likely in the columnar and delimited ones than in JSON. */
const PREFERENCE = ['parquet', 'csv', 'tsv', 'json'];

/**
 * The files a version's table is read from, by path: the parts of a partitioned dataset. That is every CSV,
 * TSV, Parquet or JSON(L) file of the format most of them have (Parquet, then CSV, TSV, JSON on a tie), so
 * a `meta.json` beside the parts is not read as rows. An empty file holds no rows, not even a header.
 */
export function tableFiles(files: readonly DatasetFile[]): DatasetFile[] {
  const tabular = files.filter((f) => TABULAR.test(f.path) && f.size > 0).sort(byPath);
  const count = (format: string) => tabular.filter((f) => formatOf(f.path) === format).length;
  const format = PREFERENCE.reduce((best, f) => (count(f) > count(best) ? f : best));
  return tabular.filter((f) => formatOf(f.path) === format);
}

/** A model_version node's id is `name/version`. */
const modelOfNode = (n: LineageNode): string => n.id.slice(0, Math.max(0, n.id.lastIndexOf('/')));

/**
 * The check on a lineage node another module owns (a run, a model version, an evaluation, a deployment...): resolves
 * when the caller holds `permission` on it, throws the owner's DomainError otherwise (refused, or no such object).
 */
export type LineageNodeAccess = (actor: Actor, permission: 'READ' | 'EDIT', node: LineageNode) => Promise<void>;

type NewEdge = Omit<LineageEdge, 'createdAt' | 'origin'>;
const NO_FACTS: NodeFacts = { datasetVersions: new Map(), runNames: new Map(), loggedModelNames: new Map(), validations: new Map() };

/** Versioned datasets by content, their files, datasheets and the lineage graph. */
export class DatasetService {
  constructor(
    private readonly store: DatasetStore,
    private readonly artifacts: ArtifactStore,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly nodeAccess: LineageNodeAccess = async () => {},
    /** Tables up to this many rows are profiled exactly (see EXACT_PROFILE_ROWS). */
    private readonly exactProfileRows = EXACT_PROFILE_ROWS,
  ) {
    this.blobs = new BlobKeeper(store, artifacts, clock);
  }

  private readonly blobs: BlobKeeper;

  /**
   * Streams content into the dataset blob store, hashing it on the way; it must hash to `sha256`. Content
   * already stored is not written again. A mismatching upload is deleted again: the blob path is only ever
   * trusted after a digest check (`data get` and validation verify what they read).
   */
  async putBlob(actor: Actor, input: { name: string; sha256: string; body: ArtifactBody; size?: number | undefined }): Promise<{ sha256: string; size: number; created: boolean }> {
    await this.requireWrite(actor, input.name);
    if (!SHA256.test(input.sha256)) throw invalid(`Invalid sha256 '${input.sha256}': 64 lowercase hex digits`);
    // Claimed until the add that follows releases it, so garbage collection leaves the content alone meanwhile.
    await this.blobs.claim([input.sha256], uploadHolder(input.name));
    try {
      return await this.storeBlob(input);
    } catch (err) {
      await this.blobs.release([input.sha256], [uploadHolder(input.name)]);
      throw err;
    }
  }

  /** Removes the blobs no version references (bytes freed reported); a dry run only counts them. Blobs an upload or add in progress uses are left alone. */
  async collectGarbage(actor: Actor, input: { dryRun: boolean }): Promise<GcReport> {
    await this.access.require(actor, 'MANAGE', { kind: 'server' });
    const report = await this.blobs.collect(input.dryRun);
    if (!input.dryRun && report.removed > 0) noteChange({ object: 'datasets:blobs', after: { removed: report.removed, bytesFreed: report.bytesFreed } });
    return report;
  }

  /** `putBlob` for callers that made the access check (an add of many files makes it once). */
  private async storeBlob(input: { sha256: string; body: ArtifactBody; size?: number | undefined }): Promise<{ sha256: string; size: number; created: boolean }> {
    if (!SHA256.test(input.sha256)) throw invalid(`Invalid sha256 '${input.sha256}': 64 lowercase hex digits`);
    const existing = await this.artifacts.stat(blobPath(input.sha256));
    if (existing && !existing.isDir && (input.size === undefined || existing.size === input.size)) {
      await drain(input.body);
      return { sha256: input.sha256, size: existing.size ?? 0, created: false };
    }
    const stored = await this.artifacts.put(blobPath(input.sha256), input.body, input.size !== undefined ? { contentLength: input.size } : {});
    if (stored.sha256 !== input.sha256) {
      await this.artifacts.delete(blobPath(input.sha256));
      throw invalid(`Uploaded bytes hash to ${stored.sha256}, not ${input.sha256}: nothing was stored`);
    }
    return { sha256: input.sha256, size: stored.size, created: true };
  }

  /** Which of these contents the store lacks, so a client uploads only those (as DVC's `push` does). */
  async missingBlobs(actor: Actor, input: { name: string; files: readonly { sha256: string; size: number }[] }): Promise<string[]> {
    await this.requireWrite(actor, input.name);
    return this.findMissing(input.files);
  }

  private async findMissing(files: readonly { sha256: string; size: number }[]): Promise<string[]> {
    const missing: string[] = [];
    for (const f of files) {
      const stat = SHA256.test(f.sha256) ? await this.artifacts.stat(blobPath(f.sha256)) : undefined;
      if (!stat || stat.isDir || stat.size !== f.size) missing.push(f.sha256);
    }
    return [...new Set(missing)];
  }

  async addVersion(actor: Actor, input: AddVersionInput): Promise<{ version: DatasetVersion; created: boolean; warnings: string[] }> {
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    const isNew = await this.requireWrite(actor, input.name, project);
    if (input.files.length === 0) throw invalid(`Dataset '${input.name}' needs at least one file`);
    const seen = new Set<string>();
    for (const f of input.files) {
      const p = safeArtifactPath(f.path);
      if (seen.has(p)) throw invalid(`File '${p}' is given twice`);
      seen.add(p);
    }
    const empty = input.files.filter((f) => ('content' in f ? f.content.byteLength : f.size) === 0).map((f) => `'${safeArtifactPath(f.path)}'`);
    if (empty.length > 0 && input.emptyFiles === 'refuse') throw invalid(`Empty file(s) ${empty.join(', ')} (0 bytes); nothing was added`);
    const warnings = empty.length > 0 ? [`Empty file(s) ${empty.join(', ')} (0 bytes): kept in the version, but they hold no rows`] : [];
    const contents = input.files.map((f) => ('content' in f ? sha256Hex(f.content) : f.sha256)).filter((sha) => SHA256.test(sha));
    const holder = `add:${newHexId()}`;
    const holders = [holder, uploadHolder(input.name)];
    await this.blobs.claim(contents, holder);
    try {
      const added = await this.registerVersion(actor, input, isNew);
      await this.blobs.release(contents, holders);
      return { ...added, warnings };
    } catch (err) {
      // A refused add leaves nothing: neither its own content nor what was uploaded for it, unless a version or another writer uses it.
      await this.blobs.release(contents, holders);
      await this.blobs.removeUnused(contents).catch(() => undefined);
      throw err;
    }
  }

  private async registerVersion(actor: Actor, input: AddVersionInput, isNew: boolean): Promise<{ version: DatasetVersion; created: boolean }> {
    const sources = await Promise.all((input.derivedFrom ?? []).map((ref) => this.get(actor, ref)));
    // The run produced this version (READ on it), and with sources it consumed them (EDIT on it, as on any edge's target).
    if (input.producedBy !== undefined) await this.requireNode(actor, sources.length > 0 ? 'EDIT' : 'READ', { kind: 'run', id: input.producedBy });
    const files: DatasetFile[] = [];
    for (const f of input.files) {
      const path = safeArtifactPath(f.path);
      if ('content' in f) {
        const sha256 = sha256Hex(f.content);
        await this.storeBlob({ sha256, body: Readable.from([f.content]), size: f.content.byteLength });
        files.push({ path, size: f.content.byteLength, sha256 });
      } else {
        if ((await this.findMissing([f])).length > 0) {
          throw invalid(`File '${path}': no uploaded content with sha256 ${f.sha256} and ${f.size} bytes; upload it first (PUT /api/v1/datasets/${input.name}/blobs/${f.sha256})`);
        }
        files.push({ path, size: f.size, sha256: f.sha256 });
      }
    }
    files.sort(byPath);
    const table = tableFiles(files);
    // Profiled before anything is registered, so a corrupt file leaves no version behind.
    const described = table.length > 0 ? await withLocalFiles(this.artifacts, table.map((file) => ({ file, owner: input.name })), false, (local) => profileTable(local, this.exactProfileRows)) : undefined;
    const now = this.clock.now();
    const edges = (id: string): LineageEdge[] => {
      const self = { kind: 'dataset_version', id };
      const run = input.producedBy !== undefined ? { kind: 'run', id: input.producedBy } : undefined;
      return [
        ...sources.flatMap((s) => {
          const from = { kind: 'dataset_version', id: s.id };
          return [{ from, to: self, relation: 'derived_from', createdAt: now, origin: 'platform' as const }, ...(run ? [{ from, to: run, relation: 'consumed', createdAt: now, origin: 'platform' as const }] : [])];
        }),
        ...(run ? [{ from: run, to: self, relation: 'produced', createdAt: now, origin: 'platform' as const }] : []),
      ];
    };
    const added = await this.store.addVersion(
      {
        name: input.name, digest: rootDigest(files), size: files.reduce((a, f) => a + f.size, 0), files,
        rowCount: described?.rowCount ?? null, schema: described?.schema ?? null, profile: described?.profile ?? null,
        parts: described?.parts ?? null, schemaDifferences: described?.schemaDifferences ?? [],
        createdBy: actor.userId, createdAt: now,
      },
      { labels: input.labels ?? [], edges },
    );
    if (isNew) await this.access.created(actor, { kind: 'dataset', id: input.name }, input.project);
    if (added.created) noteChange({ object: `dataset:${input.name}`, after: { version: added.version.version, digest: added.version.digest } });
    return added;
  }

  /** Writing to a dataset needs EDIT on it, or the workspace's (the project's) EDIT when the name is new; says which. */
  private async requireWrite(actor: Actor, name: string, project?: string): Promise<boolean> {
    const isNew = (await this.store.listVersions(name)).length === 0;
    await this.access.require(actor, 'EDIT', isNew ? { kind: 'server', ...(project !== undefined ? { project } : {}) } : { kind: 'dataset', id: name });
    return isNew;
  }

  /** Resolves a reference without an access check: for callers that made theirs. */
  async resolve(ref: DatasetRef): Promise<DatasetVersion> {
    const wanted = ref.ref ?? 'latest';
    const number = /^\d+$/.test(wanted) ? Number(wanted) : await this.store.resolveLabel(ref.name, wanted);
    const version = number === undefined ? undefined : await this.store.getVersion(ref.name, number);
    if (!version) throw notFound(`Dataset version '${ref.name}@${wanted}'`);
    return version;
  }

  async get(actor: Actor, ref: DatasetRef): Promise<DatasetVersion> {
    await this.access.require(actor, 'READ', { kind: 'dataset', id: ref.name });
    return this.resolve(ref);
  }

  async list(actor: Actor, project?: string): Promise<{ name: string; latestVersion: number; versions: number }[]> {
    if (project !== undefined) validateProjectName(project);
    await this.access.require(actor, 'READ', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    return this.access.readable(actor, 'dataset', await this.store.listNames(), (d) => d.name, project);
  }

  async listVersions(actor: Actor, name: string): Promise<DatasetVersion[]> {
    await this.access.require(actor, 'READ', { kind: 'dataset', id: name });
    const versions = await this.store.listVersions(name);
    if (versions.length === 0) throw notFound(`Dataset '${name}'`);
    return versions;
  }

  /** Schema, profile and file changes; with `key`, also the rows added, removed and changed by that key. */
  async diff(actor: Actor, input: { from: DatasetRef; to: DatasetRef; key?: string | undefined }): Promise<VersionDiff> {
    const [a, b] = [await this.get(actor, input.from), await this.get(actor, input.to)];
    const diff = diffVersions(a, b);
    if (input.key === undefined) return diff;
    const key = input.key;
    const rows = await this.withTables([{ version: a }, { version: b }], ([from, to]) => diffRows(from!, to!, key));
    return { ...diff, rows };
  }

  async setLabel(actor: Actor, input: { ref: DatasetRef; label: string }): Promise<DatasetVersion> {
    await this.access.require(actor, 'EDIT', { kind: 'dataset', id: input.ref.name });
    const version = await this.resolve(input.ref);
    await this.store.setLabel(version.name, input.label, version.version, this.clock.now());
    return (await this.store.getVersionById(version.id))!;
  }

  /**
   * A file's bytes as a stream that fails at its end when they no longer match the recorded digest; a
   * stored copy of another size is refused before anything is sent.
   */
  async openFile(actor: Actor, input: { ref: DatasetRef; path: string }): Promise<{ version: DatasetVersion; file: DatasetFile; body: Readable }> {
    const version = await this.get(actor, input.ref);
    const file = version.files.find((f) => f.path === input.path);
    if (!file) throw notFound(`File '${input.path}' in dataset version '${label(version)}'`);
    const { body, size } = await this.artifacts.get(blobPath(file.sha256)).catch((err: unknown) => {
      throw isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST' ? digestMismatch(file, label(version)) : err;
    });
    if (size !== file.size) {
      body.destroy();
      throw digestMismatch(file, label(version));
    }
    // pipeline (not pipe) so a failing read of the stored copy fails the returned stream too.
    const verified = pipeline(body, new VerifyingStream(file.sha256, () => digestMismatch(file, label(version))), () => undefined);
    return { version, file, body: verified };
  }

  /**
   * A file to send as a download: its stored copy is hashed before anything is sent, so one changed on disk (even to
   * the same size) is an error reply, never a 200 whose stream breaks after the bytes went out. The copy is read
   * twice; the stream returned still verifies, for a change made between the two reads.
   */
  async openCheckedFile(actor: Actor, input: { ref: DatasetRef; path: string }): Promise<{ version: DatasetVersion; file: DatasetFile; body: Readable }> {
    await drain((await this.openFile(actor, input)).body);
    return this.openFile(actor, input);
  }

  /** A whole file in memory, verified: for small files (evaluation sets, suites). */
  async readFile(actor: Actor, input: { ref: DatasetRef; path: string }): Promise<Uint8Array> {
    const { body } = await this.openFile(actor, input);
    return buffer(body);
  }

  /**
   * Runs `work` on local, digest-checked copies of versions' tables (for validation and other readers): each
   * version's table files (all its parts), or the one file `path` names.
   */
  async withTables<T>(versions: readonly { version: DatasetVersion; path?: string | undefined }[], work: (tables: LocalFile[][]) => Promise<T>): Promise<T> {
    const tables = versions.map(({ version, path }) => {
      const files = path !== undefined ? version.files.filter((f) => f.path === path) : tableFiles(version.files);
      if (files.length === 0) throw invalid(path !== undefined ? `Dataset version '${label(version)}' has no file '${path}'` : `Dataset version '${label(version)}' has no CSV, Parquet or JSONL file`);
      return files.map((file) => ({ file, owner: label(version) }));
    });
    return withLocalFiles(this.artifacts, tables.flat(), true, async (local) => {
      let at = 0;
      return work(tables.map((t) => local.slice(at, (at += t.length))));
    });
  }

  async datasheet(actor: Actor, name: string): Promise<Datasheet & { markdown: string }> {
    const versions = await this.listVersions(actor, name);
    const latest = versions[0]!;
    const node = { kind: 'dataset_version', id: latest.id };
    const [stored, sources, uses, validations] = await Promise.all([
      this.store.getDatasheet(name),
      this.store.traverse(node, 'upstream', 2).then((g) => this.labelled(g)),
      this.store.traverse(node, 'downstream', 2).then((g) => this.labelled(g)),
      this.store.listValidations(latest.id),
    ]);
    const newest = validations[0];
    const sheet = composeDatasheet({ name, versions, sources, uses, latestValidation: newest && { suite: newest.suiteName, success: newest.success, at: newest.createdAt } }, stored);
    return { ...sheet, markdown: datasheetMarkdown(sheet) };
  }

  async updateDatasheet(actor: Actor, input: { name: string; sections: Partial<Record<DatasheetSection, string>> }): Promise<Datasheet & { markdown: string }> {
    await this.access.require(actor, 'EDIT', { kind: 'dataset', id: input.name });
    await this.listVersions(actor, input.name);
    await this.store.saveDatasheet(input.name, input.sections, actor.userId, this.clock.now());
    return this.datasheet(actor, input.name);
  }

  /**
   * Edges a caller asserts (the lineage API). Each needs EDIT on the node it points to and READ on the one it comes
   * from, so nobody writes into the lineage of objects they may not change; they are kept as `user` edges.
   */
  async recordLineage(actor: Actor, edges: readonly NewEdge[]): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'server' });
    const resolved = await Promise.all(edges.map(async (e) => ({ from: await this.nodeFor(actor, e.from), to: await this.nodeFor(actor, e.to), relation: e.relation })));
    const checked = new Set<string>();
    const check = async (permission: 'READ' | 'EDIT', n: LineageNode) => {
      const key = `${permission}\0${n.kind}\0${n.id}`;
      if (checked.has(key)) return;
      await this.requireNode(actor, permission, n);
      checked.add(key);
    };
    for (const e of resolved) {
      await check('EDIT', e.to);
      await check('READ', e.from);
    }
    await this.save(resolved, 'user');
  }

  /** Edges another module records from an operation it performed and checked itself (an evaluation): `platform` edges. */
  async recordPlatformLineage(actor: Actor, edges: readonly NewEdge[]): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'server' });
    await this.save(await Promise.all(edges.map(async (e) => ({ from: await this.node(e.from), to: await this.node(e.to), relation: e.relation }))), 'platform');
  }

  private async save(edges: readonly NewEdge[], origin: LineageOrigin): Promise<void> {
    const createdAt = this.clock.now();
    await this.store.recordLineage(edges.map((e) => ({ ...e, createdAt, origin })));
  }

  /**
   * A dataset version is checked on its dataset; every other kind by the module that owns it. An id no module knows
   * (a run in another tracking system) is a plain label nobody owns; one that exists but is hidden is refused.
   */
  private async requireNode(actor: Actor, permission: 'READ' | 'EDIT', n: LineageNode): Promise<void> {
    if (n.kind !== 'dataset_version') {
      try {
        return await this.nodeAccess(actor, permission, n);
      } catch (err) {
        if (isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST' && !err.concealed) return;
        throw err;
      }
    }
    const version = await this.store.getVersionById(n.id);
    if (!version) throw notFound(`Dataset version '${n.id}'`);
    await this.access.require(actor, permission, { kind: 'dataset', id: version.name });
  }

  async lineage(actor: Actor, input: { node: LineageNode; direction: 'upstream' | 'downstream'; depth?: number | undefined }): Promise<LineageGraph> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const graph = await this.store.traverse(await this.nodeFor(actor, input.node), input.direction, Math.min(input.depth ?? MAX_DEPTH, MAX_DEPTH));
    const visible = await this.visiblePart(actor, graph);
    if (visible) return this.labelled(visible);
    // A hidden root is answered as an unknown id is: the node alone, nothing around it, named by its id only.
    const root = graph.nodes.filter((n) => n.kind === graph.root.kind && n.id === graph.root.id);
    return { ...graph, nodes: root.map((n) => ({ ...n, label: nodeLabel(n, NO_FACTS) })), edges: [] };
  }

  /**
   * A run tag `dataset_version=name@label` (or a bare `name`, its latest) is resolved when it is logged: the
   * version the label points to then is recorded as consumed by the run, so moving the label later does not
   * change what the run used, and the run is tagged `openexpert.dataset_version=name@N`. A tag that names no
   * version the caller can read gets an `openexpert.warning.dataset_version` tag instead: never silently no
   * link. `name@N` tags need nothing here; the graph reads them in place.
   */
  async resolveRunTags(actor: Actor, runId: string, tags: readonly { key: string; value: string }[]): Promise<{ key: string; value: string }[]> {
    const added: { key: string; value: string }[] = [];
    for (const tag of tags) {
      if (tag.key !== 'dataset_version') continue;
      const ref = parseDatasetRef(tag.value);
      try {
        if (ref.name === '') throw invalid('it does not name a dataset (name@version or name@label)');
        await this.access.require(actor, 'READ', { kind: 'dataset', id: ref.name });
        const version = await this.resolve(ref);
        if (ref.ref !== undefined && /^\d+$/.test(ref.ref)) continue;
        await this.save([{ from: { kind: 'dataset_version', id: version.id }, to: { kind: 'run', id: runId }, relation: 'consumed' }], 'platform');
        added.push({ key: RESOLVED_DATASET_TAG, value: label(version) });
      } catch (err) {
        if (!isDomainError(err)) throw err;
        added.push({ key: DATASET_WARNING_TAG, value: `dataset_version '${tag.value}' was not linked to this run: ${err.message}` });
      }
    }
    return added;
  }

  /** Each node with the name people know it by (`wine@3`, `run baseline (51456f…)`, `churn v2`). */
  private async labelled(graph: LineageGraph): Promise<LineageGraph> {
    const facts = await this.store.nodeFacts([graph.root, ...graph.nodes]);
    return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, label: nodeLabel(n, facts) })) };
  }

  /**
   * The graph without the nodes the caller may not read, nor the edges touching them: lineage never names a dataset,
   * run, model or evaluation that a direct read would refuse. Undefined when the root itself is hidden.
   */
  private async visiblePart(actor: Actor, graph: LineageGraph): Promise<LineageGraph | undefined> {
    const key = (n: LineageNode) => `${n.kind}\0${n.id}`;
    const nodes = [graph.root, ...graph.nodes];
    const datasetOf = new Map<string, string>();
    for (const n of nodes) {
      if (n.kind === 'dataset_version' && !datasetOf.has(n.id)) {
        const v = await this.store.getVersionById(n.id);
        if (v) datasetOf.set(n.id, v.name);
      }
    }
    const datasets = new Set(await this.access.readable(actor, 'dataset', [...new Set(datasetOf.values())], (name) => name));
    const models = new Set(await this.access.readable(actor, 'registered_model', [...new Set(nodes.filter((n) => n.kind === 'model_version').map(modelOfNode))], (name) => name));
    const visible = new Set<string>();
    for (const n of nodes) {
      if (visible.has(key(n))) continue;
      const ok = n.kind === 'dataset_version' ? datasets.has(datasetOf.get(n.id) ?? '')
        : n.kind === 'model_version' ? models.has(modelOfNode(n))
          : await this.mayRead(actor, n);
      if (ok) visible.add(key(n));
    }
    if (!visible.has(key(graph.root))) return undefined;
    return {
      ...graph,
      nodes: graph.nodes.filter((n) => visible.has(key(n))),
      edges: graph.edges.filter((e) => visible.has(key(e.from)) && visible.has(key(e.to))),
    };
  }

  /** A deleted (or never valid) run or evaluation id stays a plain label; a refused one is hidden. */
  private async mayRead(actor: Actor, n: LineageNode): Promise<boolean> {
    try {
      await this.nodeAccess(actor, 'READ', n);
      return true;
    } catch (err) {
      if (!isDomainError(err)) throw err;
      return (err.code === 'RESOURCE_DOES_NOT_EXIST' && !err.concealed) || err.code === 'INVALID_PARAMETER_VALUE';
    }
  }

  /** `node` for a caller: a `name@ref` of a dataset they may not read is answered exactly as an unknown one. */
  private async nodeFor(actor: Actor, n: LineageNode): Promise<LineageNode> {
    if (n.kind === 'dataset_version' && n.id.includes('@')) {
      const ref = parseDatasetRef(n.id);
      if ((await this.access.readable(actor, 'dataset', [ref.name], (name) => name)).length === 0) throw notFound(`Dataset version '${ref.name}@${ref.ref ?? 'latest'}'`);
    }
    return this.node(n);
  }

  /** Dataset versions may be named `name@ref`; the graph keys them by their id, which never changes. */
  private async node(n: LineageNode): Promise<LineageNode> {
    if (n.kind !== 'dataset_version' || !n.id.includes('@')) return n;
    return { kind: n.kind, id: (await this.resolve(parseDatasetRef(n.id))).id };
  }
}

async function drain(body: ArtifactBody): Promise<void> {
  for await (const chunk of body as AsyncIterable<unknown>) void chunk;
}
