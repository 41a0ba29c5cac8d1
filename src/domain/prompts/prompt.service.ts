import type { Actor } from '../../core/actor.js';
import { invalid, isDomainError } from '../../core/errors.js';
import { noteChange } from '../../core/audit-notes.js';
import { KeyedSerial } from '../../core/keyed-serial.js';
import type { KeyValue } from '../tracking/types.js';
import type { PromotionService } from '../registry/promotion.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import type { ModelVersion, PromotionRequest, RegisteredModel, TransitionRecord } from '../registry/types.js';
import { validateAlias } from '../registry/validation.js';
import { hunks, lineDiff, unifiedDiff } from './diff.js';
import { checkTemplate, renderTemplate, templateVariables, type ChatMessage, type Template } from './template.js';
import {
  CONTENT_TAGS, IS_PROMPT_TAG, MODEL_CONFIG_TAG, PROMPT_NAME, PROMPT_TEXT_TAG, PROMPT_TYPE_TAG, RESPONSE_FORMAT_TAG, SOURCE_COMMIT_TAG, SOURCE_FILE_TAG,
  type PromptDetail, type PromptDiff, type PromptSummary, type PromptVersion, type PushInput, type PushResult,
} from './types.js';

const isPromptTags = (tags: readonly KeyValue[]) => tags.some((t) => t.key === IS_PROMPT_TAG && t.value === 'true');
const tagValue = (tags: readonly KeyValue[], key: string) => tags.find((t) => t.key === key)?.value;
const PROMPT_FILTER = `tags.\`${IS_PROMPT_TAG}\` = 'true'`;
const MAX_VERSIONS = 10_000;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function validatePromptName(name: string): string {
  if (!PROMPT_NAME.test(name)) throw invalid(`Invalid prompt name '${name}': use letters, digits, '_', '-' and '.' (it travels in prompts:/<name>/<version> URIs)`);
  if (name.length > 256) throw invalid(`Invalid prompt name '${name.slice(0, 40)}…': at most 256 characters`);
  return name;
}

/** A model version as a prompt version; undefined when the version holds no prompt. */
export function toPromptVersion(v: ModelVersion): PromptVersion | undefined {
  const text = tagValue(v.tags, PROMPT_TEXT_TAG);
  if (!isPromptTags(v.tags) || text === undefined) return undefined;
  const chat = tagValue(v.tags, PROMPT_TYPE_TAG) === 'chat';
  let template: Template = text;
  if (chat) {
    const parsed = parseJson(text);
    template = Array.isArray(parsed) ? (parsed as ChatMessage[]) : text;
  }
  const responseFormat = parseJson(tagValue(v.tags, RESPONSE_FORMAT_TAG));
  const modelConfig = parseJson(tagValue(v.tags, MODEL_CONFIG_TAG));
  const file = tagValue(v.tags, SOURCE_FILE_TAG);
  const commit = tagValue(v.tags, SOURCE_COMMIT_TAG);
  return {
    name: v.name, version: v.version, type: chat ? 'chat' : 'text', template, variables: templateVariables(template),
    ...(v.description ? { commitMessage: v.description } : {}),
    ...(responseFormat !== undefined ? { responseFormat } : {}), ...(modelConfig !== undefined ? { modelConfig } : {}),
    tags: Object.fromEntries(v.tags.filter((t) => !CONTENT_TAGS.has(t.key) && t.key !== SOURCE_FILE_TAG && t.key !== SOURCE_COMMIT_TAG).map((t) => [t.key, t.value])),
    labels: [...v.aliases].sort(), createdAt: v.creationTime, ...(v.userId ? { createdBy: v.userId } : {}),
    ...(file ? { file } : {}), ...(commit ? { commit } : {}),
  };
}

function toSummary(m: RegisteredModel): PromptSummary {
  const newest = Math.max(0, ...m.latestVersions.map((v) => v.version));
  return {
    name: m.name, ...(m.description ? { description: m.description } : {}),
    tags: Object.fromEntries(m.tags.filter((t) => t.key !== IS_PROMPT_TAG).map((t) => [t.key, t.value])),
    labels: [...m.aliases].map((a) => ({ label: a.alias, version: a.version })).sort((a, b) => a.label.localeCompare(b.label)),
    ...(newest > 0 ? { latestVersion: newest } : {}), createdAt: m.creationTime, updatedAt: m.lastUpdatedTime,
  };
}

/** The parts of a version that make it what it is: equal content, same version (a push of it changes nothing). */
const contentKey = (p: { type: string; template: Template; responseFormat?: unknown; modelConfig?: unknown }) =>
  JSON.stringify([p.type, p.template, p.responseFormat ?? null, p.modelConfig ?? null]);

/** A chat template as text for a line diff: each message opens with its role. */
const asText = (t: Template) => (typeof t === 'string' ? t : t.map((m) => `[${m.role}]\n${m.content}`).join('\n'));

/**
 * The prompt registry's rules over the model registry's objects. Access checks, audit notes of the underlying
 * objects and label moves (promotions under the prompt's policy) are the registry's; this service adds what a
 * prompt is: a checked template, content-idempotent pushes, labels, diffs and rendering.
 */
export class PromptService {
  private readonly pushing = new KeyedSerial();

  constructor(private readonly registry: RegistryService, private readonly promotion: PromotionService) {}

  async list(actor: Actor, input: { nameLike?: string; maxResults?: number; pageToken?: string } = {}): Promise<{ items: PromptSummary[]; nextPageToken?: string }> {
    if (input.nameLike !== undefined && !/^[\w.%-]+$/.test(input.nameLike)) throw invalid(`Invalid name pattern '${input.nameLike}': letters, digits, '_', '-', '.' and '%'`);
    const like = input.nameLike ? ` and name ILIKE '${input.nameLike}'` : '';
    const page = await this.registry.searchRegisteredModels(actor, {
      filter: PROMPT_FILTER + like, orderBy: ['name ASC'], maxResults: input.maxResults ?? 1000, ...(input.pageToken ? { pageToken: input.pageToken } : {}),
    });
    return { items: page.items.map(toSummary), ...(page.nextOffset !== undefined ? { nextPageToken: String(page.nextOffset) } : {}) };
  }

  async get(actor: Actor, name: string): Promise<PromptDetail> {
    const model = await this.prompt(actor, name);
    return { ...toSummary(model), versions: await this.versions(actor, model.name) };
  }

  /** A version by number, or by label (`production`, or `latest` for the newest). */
  async getVersion(actor: Actor, name: string, ref: string | number): Promise<PromptVersion> {
    await this.prompt(actor, name);
    const text = String(ref).trim();
    const v = /^\d+$/.test(text) ? await this.registry.getModelVersion(actor, name, text) : await this.registry.getVersionByAlias(actor, name, text.replace(/^@/, ''));
    const p = toPromptVersion(v);
    if (!p) throw invalid(`Version ${v.version} of '${name}' holds no prompt template`);
    return p;
  }

  /**
   * Registers the template as the prompt's next version, unless the newest version already has this content
   * (then nothing is written): pushing the same folder twice creates nothing the second time, and neither do two
   * CI jobs pushing it at once: pushes of one prompt take turns (the newest version is read, then written).
   */
  async push(actor: Actor, input: PushInput): Promise<PushResult> {
    const name = validatePromptName(input.name);
    return this.pushing.run(name, () => this.pushNow(actor, name, input));
  }

  private async pushNow(actor: Actor, name: string, input: PushInput, retried = false): Promise<PushResult> {
    const what = input.file ?? `prompt '${name}'`;
    checkTemplate(input.template, input.variables, what);
    const type = typeof input.template === 'string' ? 'text' : 'chat';
    let existing: RegisteredModel | undefined;
    try {
      existing = await this.registry.getRegisteredModel(actor, name);
    } catch (err) {
      // A prompt the caller may not read answers as missing too: that must not turn into an attempt to create it.
      if (!(isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST' && !err.concealed)) throw err;
    }
    if (existing && !isPromptTags(existing.tags)) throw invalid(`'${name}' is a registered model, not a prompt; choose another name for the prompt`);
    const candidate = { type, template: input.template, responseFormat: input.responseFormat, modelConfig: input.modelConfig };
    if (existing) {
      const newest = (await this.versions(actor, name))[0];
      if (newest && contentKey(newest) === contentKey(candidate)) return { name, version: newest.version, action: 'unchanged', variables: newest.variables };
      if (input.description !== undefined && input.description !== (existing.description ?? '')) await this.registry.updateRegisteredModel(actor, name, input.description);
    } else {
      try {
        await this.registry.createRegisteredModel(actor, { name, tags: [{ key: IS_PROMPT_TAG, value: 'true' }], ...(input.description !== undefined ? { description: input.description } : {}) });
      } catch (err) {
        // Created meanwhile by another server sharing the database: push onto it, as if it had been there.
        if (!retried && isDomainError(err) && err.code === 'RESOURCE_ALREADY_EXISTS') return this.pushNow(actor, name, input, true);
        throw err;
      }
    }
    // The tags MLflow's client writes (MlflowClient.register_prompt), so its load_prompt reads what was pushed here.
    const tags: KeyValue[] = [
      ...Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value })),
      { key: IS_PROMPT_TAG, value: 'true' },
      { key: PROMPT_TYPE_TAG, value: type },
      { key: PROMPT_TEXT_TAG, value: typeof input.template === 'string' ? input.template : JSON.stringify(input.template) },
      ...(input.responseFormat !== undefined ? [{ key: RESPONSE_FORMAT_TAG, value: JSON.stringify(input.responseFormat) }] : []),
      ...(input.modelConfig !== undefined ? [{ key: MODEL_CONFIG_TAG, value: JSON.stringify(input.modelConfig) }] : []),
      ...(input.file ? [{ key: SOURCE_FILE_TAG, value: input.file }] : []),
      ...(input.commit ? [{ key: SOURCE_COMMIT_TAG, value: input.commit }] : []),
    ];
    const v = await this.registry.createModelVersion(actor, { name, source: 'prompt-template', tags, ...(input.commitMessage ? { description: input.commitMessage } : {}) });
    noteChange({ object: `prompt:${name}`, after: { version: v.version } });
    return { name, version: v.version, action: existing ? 'updated' : 'created', variables: templateVariables(input.template) };
  }

  async diff(actor: Actor, name: string, from: string | number, to: string | number): Promise<PromptDiff> {
    const [a, b] = [await this.getVersion(actor, name, from), await this.getVersion(actor, name, to)];
    const lines = lineDiff(asText(a.template), asText(b.template));
    const hs = hunks(lines);
    const changed = [
      ...(a.type !== b.type ? [`type: ${a.type} → ${b.type}`] : []),
      ...(JSON.stringify(a.responseFormat ?? null) !== JSON.stringify(b.responseFormat ?? null) ? ['response format'] : []),
      ...(JSON.stringify(a.modelConfig ?? null) !== JSON.stringify(b.modelConfig ?? null) ? ['model configuration'] : []),
    ];
    return {
      name, from: a.version, to: b.version, lines, hunks: hs, unified: unifiedDiff(`${name}/${a.version}`, `${name}/${b.version}`, hs),
      variables: { added: b.variables.filter((x) => !a.variables.includes(x)), removed: a.variables.filter((x) => !b.variables.includes(x)) },
      changed,
    };
  }

  async render(actor: Actor, name: string, ref: string | number, values: Readonly<Record<string, string | number | boolean>>): Promise<{ version: number; template: Template }> {
    const v = await this.getVersion(actor, name, ref);
    return { version: v.version, template: renderTemplate(v.template, values) };
  }

  /**
   * Moves a label to a version: a promotion request under the prompt's policy, which completes at once when the
   * policy's checks pass and otherwise waits (for approvals, or until an evaluation passes and someone approves).
   */
  async setLabel(actor: Actor, name: string, label: string, version: string | number, reason?: string): Promise<PromotionRequest> {
    const p = await this.getVersion(actor, name, String(version));
    const alias = validateAlias(label, { forWrite: true });
    return this.promotion.createRequest(actor, { name, version: p.version, target: { kind: 'alias', alias }, ...(reason !== undefined ? { reason } : {}) });
  }

  async deleteLabel(actor: Actor, name: string, label: string): Promise<void> {
    await this.prompt(actor, name);
    await this.registry.deleteAlias(actor, name, label);
  }

  /** Label moves with who, when, why and the checks then. */
  async history(actor: Actor, name: string): Promise<TransitionRecord[]> {
    await this.prompt(actor, name);
    return (await this.promotion.history(actor, name)).filter((r) => r.target.kind === 'alias');
  }

  private async prompt(actor: Actor, name: string): Promise<RegisteredModel> {
    const model = await this.registry.getRegisteredModel(actor, name);
    if (!isPromptTags(model.tags)) throw invalid(`'${name}' is a registered model, not a prompt`);
    return model;
  }

  private async versions(actor: Actor, name: string): Promise<PromptVersion[]> {
    const page = await this.registry.searchModelVersions(actor, {
      filter: `name = '${name.replace(/'/g, "''")}' and ${PROMPT_FILTER.replace('tags.', 'tag.')}`, orderBy: ['version_number DESC'], maxResults: MAX_VERSIONS,
    });
    return page.items.map(toPromptVersion).filter((v): v is PromptVersion => v !== undefined);
  }
}
