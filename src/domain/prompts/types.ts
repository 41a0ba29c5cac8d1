import type { ChatMessage, Template } from './template.js';
import type { DiffLine, Hunk } from './diff.js';

/**
 * The prompt registry. A prompt is what MLflow 3 makes of one: a registered model tagged `mlflow.prompt.is_prompt`
 * whose versions carry the template in the tag `mlflow.prompt.text`, and whose aliases are the labels. So prompts
 * pushed from Git and prompts registered with `mlflow.genai.register_prompt` are the same objects, in one store.
 */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';
export const PROMPT_TEXT_TAG = 'mlflow.prompt.text';
export const PROMPT_TYPE_TAG = '_mlflow_prompt_type';
export const RESPONSE_FORMAT_TAG = '_mlflow_prompt_response_format';
export const MODEL_CONFIG_TAG = '_mlflow_prompt_model_config';
/** Where a pushed version came from: the file's path in its repository (and the commit, when it was committed). */
export const SOURCE_FILE_TAG = 'openexpert.prompt.file';
export const SOURCE_COMMIT_TAG = 'openexpert.prompt.commit';
/** Tags that hold the version's content, not shown among its tags. */
export const CONTENT_TAGS: ReadonlySet<string> = new Set([IS_PROMPT_TAG, PROMPT_TEXT_TAG, PROMPT_TYPE_TAG, RESPONSE_FORMAT_TAG, MODEL_CONFIG_TAG]);

/** MLflow's PROMPT_NAME_RULE: the name travels in `prompts:/name/1` URIs. */
export const PROMPT_NAME = /^[a-zA-Z0-9_.-]+$/;

export type PromptType = 'text' | 'chat';
export type { ChatMessage, Template };

export interface PromptVersion {
  readonly name: string;
  readonly version: number;
  readonly type: PromptType;
  readonly template: Template;
  readonly variables: readonly string[];
  /** MLflow's commit message (the model version's description). */
  readonly commitMessage?: string;
  readonly responseFormat?: unknown;
  readonly modelConfig?: unknown;
  readonly tags: Readonly<Record<string, string>>;
  readonly labels: readonly string[];
  readonly createdAt: number;
  readonly createdBy?: string;
  readonly file?: string;
  readonly commit?: string;
}

export interface PromptLabel {
  readonly label: string;
  readonly version: number;
}

export interface PromptSummary {
  readonly name: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly labels: readonly PromptLabel[];
  readonly latestVersion?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface PromptDetail extends PromptSummary {
  readonly versions: readonly PromptVersion[];
}

export interface PushInput {
  readonly name: string;
  readonly template: Template;
  /** The prompt's description (set when the prompt is created or when given). */
  readonly description?: string;
  readonly commitMessage?: string;
  /** When given, the template must use exactly these variables. */
  readonly variables?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly responseFormat?: unknown;
  readonly modelConfig?: unknown;
  readonly file?: string;
  readonly commit?: string;
}

export interface PushResult {
  readonly name: string;
  readonly version: number;
  /** `created`: a new prompt; `updated`: a new version of it; `unchanged`: the newest version already has this content. */
  readonly action: 'created' | 'updated' | 'unchanged';
  readonly variables: readonly string[];
}

export interface PromptDiff {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly lines: readonly DiffLine[];
  readonly hunks: readonly Hunk[];
  /** `diff -u` text; empty when the templates are equal. */
  readonly unified: string;
  readonly variables: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Other parts that differ: type, response format, model configuration. */
  readonly changed: readonly string[];
}
