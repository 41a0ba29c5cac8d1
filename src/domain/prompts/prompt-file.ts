import YAML from 'yaml';
import { invalid } from '../../core/errors.js';
import type { ChatMessage, PushInput } from './types.js';

/**
 * A prompt template file as kept in Git:
 * - `<name>.txt` / `<name>.md`: the template is the file, after optional YAML front matter between `---` lines;
 * - `<name>.yaml` / `<name>.yml`: a mapping with `template` (text) or `messages` (a chat prompt).
 * Front matter and YAML files may give `name`, `description`, `commit_message`, `variables`, `tags`,
 * `response_format` and `model_config`; the name defaults to the file's name without its extension.
 */
const KEYS = new Set(['name', 'description', 'commit_message', 'variables', 'tags', 'response_format', 'model_config', 'template', 'messages']);
export const PROMPT_FILE = /\.(txt|md|ya?ml)$/i;

function mapping(doc: unknown, file: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid(`${file}: expected a YAML mapping`);
  const unknown = Object.keys(doc).filter((k) => !KEYS.has(k));
  if (unknown.length) throw invalid(`${file}: unknown key(s) ${unknown.join(', ')}; a prompt file has ${[...KEYS].join(', ')}`);
  return doc as Record<string, unknown>;
}

function parseYamlText(text: string, file: string): unknown {
  try {
    return YAML.parse(text);
  } catch (err) {
    throw invalid(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

const strings = (v: unknown, field: string, file: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${file}: ${field} must be a list of names`);
  return v as string[];
};

function messagesOf(v: unknown, file: string): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid(`${file}: messages must be a non-empty list of {role, content}`);
  return v.map((m, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || typeof content !== 'string') throw invalid(`${file}: message ${i + 1} needs a role and a content, both text`);
    return { role, content };
  });
}

/** The push input a file describes; `file` is its path relative to the pushed folder, for messages and the version's record. */
export function parsePromptFile(file: string, text: string): PushInput {
  const base = file.split('/').pop()!.replace(PROMPT_FILE, '');
  let meta: Record<string, unknown>;
  let body: string | undefined;
  if (/\.ya?ml$/i.test(file)) {
    meta = mapping(parseYamlText(text, file), file);
  } else {
    const front = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
    meta = front ? mapping(parseYamlText(front[1]!, file), file) : {};
    if (meta.template !== undefined || meta.messages !== undefined) throw invalid(`${file}: the template is the file's text after the front matter; template and messages belong in .yaml files`);
    // The newline that ends the file's last line is the file's, not the template's.
    body = (front ? text.slice(front[0].length) : text).replace(/\r?\n$/, '');
  }
  const template = body ?? (meta.messages !== undefined ? messagesOf(meta.messages, file) : meta.template);
  if (meta.messages !== undefined && meta.template !== undefined) throw invalid(`${file}: give template or messages, not both`);
  if (template === undefined) throw invalid(`${file}: no template (a .yaml prompt file has template or messages)`);
  if (typeof template !== 'string' && !Array.isArray(template)) throw invalid(`${file}: template must be text`);
  const name = meta.name === undefined ? base : String(meta.name);
  const tags = meta.tags;
  if (tags !== undefined && (typeof tags !== 'object' || tags === null || Array.isArray(tags))) throw invalid(`${file}: tags must be a mapping`);
  const variables = strings(meta.variables, 'variables', file);
  return {
    name, template, file,
    ...(meta.description !== undefined ? { description: String(meta.description) } : {}),
    ...(meta.commit_message !== undefined ? { commitMessage: String(meta.commit_message) } : {}),
    ...(variables ? { variables } : {}),
    ...(tags ? { tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])) } : {}),
    ...(meta.response_format !== undefined ? { responseFormat: meta.response_format } : {}),
    ...(meta.model_config !== undefined ? { modelConfig: meta.model_config } : {}),
  };
}
