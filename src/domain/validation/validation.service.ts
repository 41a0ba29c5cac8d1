import { createHash } from 'node:crypto';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { parseDatasetRef, type DatasetRef, type DatasetService } from '../datasets/dataset.service.js';
import type { DatasetStore } from '../datasets/datasets.store.js';
import type { ResultFormatSpec, StoredSuite, StoredValidation, Suite } from './types.js';
import { suggestSuite, type Strictness } from './suggest-suite.js';
import { referencesOf, validateFile } from './validate-file.js';
import { renderValidationHtml } from './validation-report-html.js';

/** JSON with object keys sorted, so the same expectations always hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Versioned expectation suites, and validation of dataset versions against them. */
export class ValidationService {
  constructor(
    private readonly store: DatasetStore,
    private readonly datasets: DatasetService,
    private readonly access: Access,
    private readonly clock: Clock,
  ) {}

  /** The same expectations under the same name are the same version; changed expectations make the next one. */
  async registerSuite(actor: Actor, suite: Suite): Promise<{ suite: StoredSuite; created: boolean }> {
    await this.access.require(actor, 'EDIT', { kind: 'server' });
    const digest = createHash('sha256').update(canonical(suite.expectations)).digest('hex');
    return this.store.saveSuite({ ...suite, digest, createdBy: actor.userId, createdAt: this.clock.now() });
  }

  async getSuite(actor: Actor, input: { name: string; version?: number | undefined }): Promise<StoredSuite> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const suite = await this.store.getSuite(input.name, input.version);
    if (!suite) throw notFound(`Validation suite '${input.name}${input.version !== undefined ? `@${input.version}` : ''}'`);
    return suite;
  }

  async listSuites(actor: Actor): Promise<{ name: string; latestVersion: number }[]> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    return this.store.listSuites();
  }

  /**
   * Runs a suite (given inline, which registers it, or by name and version) over a version's table file and
   * stores the result, linked to the version in the lineage graph. Distribution expectations read their
   * reference versions too; every file is checked against its digest first.
   */
  async validate(actor: Actor, input: {
    ref: DatasetRef; suite: Suite | { name: string; version?: number | undefined }; file?: string | undefined; resultFormat?: ResultFormatSpec | undefined;
  }): Promise<StoredValidation> {
    await this.access.require(actor, 'EDIT', { kind: 'dataset', id: input.ref.name });
    const registered = 'expectations' in input.suite ? undefined : await this.getSuite(actor, input.suite);
    const suite: Suite = registered ?? (input.suite as Suite);
    const version = await this.datasets.get(actor, input.ref);
    const references = referencesOf(suite);
    const referenced = await Promise.all(references.map((r) => this.datasets.get(actor, parseDatasetRef(r))));
    const now = this.clock.now();
    const result = await this.datasets.withTables([{ version, path: input.file }, ...referenced.map((v) => ({ version: v }))], ([table, ...refs]) =>
      validateFile(table!, suite, now, new Map(references.map((r, i) => [r, refs[i]!])), input.resultFormat),
    );
    // An inline suite is registered only once it has run, so a request that fails registers nothing.
    const suiteVersion = (registered ?? (await this.registerSuite(actor, suite)).suite).version;
    const stored: StoredValidation = {
      id: newHexId(), versionId: version.id, suiteName: suite.name, suiteVersion, success: result.success, result, createdBy: actor.userId, createdAt: now,
    };
    await this.store.saveValidation(stored);
    return stored;
  }

  /** A suite drawn from the version's data, to review: nothing is stored (register it by validating with it, or `POST /validation-suites`). */
  async suggest(actor: Actor, input: { ref: DatasetRef; strictness: Strictness; name?: string | undefined }): Promise<Suite> {
    const version = await this.datasets.get(actor, input.ref);
    const now = this.clock.now();
    return this.datasets.withTables([{ version }], ([files]) => suggestSuite(version, files!, { strictness: input.strictness, now, name: input.name }));
  }

  async validations(actor: Actor, ref: DatasetRef): Promise<StoredValidation[]> {
    const version = await this.datasets.get(actor, ref);
    return this.store.listValidations(version.id);
  }

  /** One validation of a version as a self-contained HTML page (GE's Data Docs are what people open). */
  async reportHtml(actor: Actor, ref: DatasetRef, id: string): Promise<string> {
    const version = await this.datasets.get(actor, ref);
    const found = (await this.store.listValidations(version.id)).find((v) => v.id === id);
    if (!found) throw notFound(`Validation '${id}' of ${version.name}@${version.version}`);
    return renderValidationHtml(found, `${version.name}@${version.version}`);
  }
}
