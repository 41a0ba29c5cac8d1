import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * MLflow 3's prompt registry calls, replayed as its Python client (3.11) sends them (recorded from the real client
 * against this server): `mlflow.genai.register_prompt` (text and chat), `set_prompt_alias`, `load_prompt` by version
 * and by alias, `search_prompts`. MLflow keeps prompts as registered models and versions with tags, so these are
 * registry calls; the native prompt API reads and writes the same objects.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const P = '/api/v1/prompts';
const tagMap = (tags: { key: string; value: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

/** `mlflow.genai.register_prompt(name, template, commit_message, tags)` as MlflowClient.register_prompt sends it. */
async function registerPrompt(name: string, template: string | { role: string; content: string }[], commitMessage: string, tags: Record<string, string> = {}) {
  const existing = await api.get(`${M}/registered-models/get`, { name });
  if (existing.status === 404) {
    expect(existing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const created = await api.post(`${M}/registered-models/create`, {
      name, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, ...Object.entries(tags).map(([key, value]) => ({ key, value }))], description: commitMessage,
    });
    expect(created.status).toBe(200);
  } else {
    expect(existing.status).toBe(200);
    // The client refuses, on its side, a name that is a model: the tag must be there for a prompt.
    expect(tagMap(existing.body.registered_model.tags)['mlflow.prompt.is_prompt']).toBe('true');
    for (const [key, value] of Object.entries(tags)) expect((await api.post(`${M}/registered-models/set-tag`, { name, key, value })).status).toBe(200);
  }
  const chat = typeof template !== 'string';
  const version = await api.post(`${M}/model-versions/create`, {
    name, source: 'dummy-source',
    tags: [
      ...Object.entries(tags).map(([key, value]) => ({ key, value })),
      { key: 'mlflow.prompt.is_prompt', value: 'true' },
      { key: '_mlflow_prompt_type', value: chat ? 'chat' : 'text' },
      // Python's json.dumps spacing, as the client writes a chat template.
      { key: 'mlflow.prompt.text', value: chat ? JSON.stringify(template).replace(/","/g, '", "').replace(/":"/g, '": "').replace(/\},\{/g, '}, {') : template },
    ],
    description: commitMessage,
  });
  expect(version.status).toBe(200);
  expect(version.body.model_version.status).toBe('READY');
  const after = await api.get(`${M}/registered-models/get`, { name });
  expect(after.status).toBe(200);
  // Then, from a thread: the prompt is linked to the active experiment (the default one, '0').
  expect((await api.post(`${M}/registered-models/set-tag`, { name, key: '_mlflow_experiment_ids', value: ',0,' })).status).toBe(200);
  return version.body.model_version as { version: string; tags: { key: string; value: string }[]; description: string };
}

/** `load_prompt('prompts:/name/N')`: the registered model (is it a prompt?), then the version. */
async function loadByVersion(name: string, version: number) {
  const rm = await api.get(`${M}/registered-models/get`, { name });
  expect(tagMap(rm.body.registered_model.tags)['mlflow.prompt.is_prompt']).toBe('true');
  const mv = await api.get(`${M}/model-versions/get`, { name, version: String(version) });
  expect(mv.status).toBe(200);
  return mv.body.model_version as { version: string; tags: { key: string; value: string }[]; aliases?: string[] };
}

describe('MLflow 3 prompt registry calls', () => {
  it('registers a text prompt and a chat version as register_prompt does', async () => {
    const v1 = await registerPrompt('greeting', 'Hello {{ name }}, welcome to {{ product }}!', 'first', { team: 'support' });
    expect(v1.version).toBe('1');
    expect(v1.description).toBe('first');
    expect(tagMap(v1.tags)).toMatchObject({ 'mlflow.prompt.is_prompt': 'true', 'mlflow.prompt.text': 'Hello {{ name }}, welcome to {{ product }}!', _mlflow_prompt_type: 'text', team: 'support' });
    const v2 = await registerPrompt('greeting', [{ role: 'system', content: 'Be warm.' }, { role: 'user', content: 'Hi {{name}}' }], 'chat');
    expect(v2.version).toBe('2');
  });

  it('sets an alias and loads by version and by alias', async () => {
    // set_prompt_alias validates the version first (get_prompt_version), then sets the alias.
    await loadByVersion('greeting', 1);
    expect((await api.post(`${M}/registered-models/alias`, { name: 'greeting', alias: 'production', version: '1' })).status).toBe(200);
    const v2 = await loadByVersion('greeting', 2);
    expect(JSON.parse(tagMap(v2.tags)['mlflow.prompt.text']!)).toEqual([{ role: 'system', content: 'Be warm.' }, { role: 'user', content: 'Hi {{name}}' }]);
    expect((await api.get(`${M}/registered-models/get`, { name: 'greeting' })).status).toBe(200);
    const byAlias = await api.get(`${M}/registered-models/alias`, { name: 'greeting', alias: 'production' });
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.model_version).toMatchObject({ version: '1', aliases: ['production'] });
    expect(tagMap(byAlias.body.model_version.tags)['mlflow.prompt.text']).toBe('Hello {{ name }}, welcome to {{ product }}!');
    // An alias that is not set: the 400 that load_prompt(allow_missing=True) turns into None.
    const missing = await api.get(`${M}/registered-models/alias`, { name: 'greeting', alias: 'staging' });
    expect(missing.status).toBe(400);
    expect(missing.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('finds prompts with search_prompts, and model searches leave them out', async () => {
    await api.post(`${M}/registered-models/create`, { name: 'churn' });
    const prompts = await api.get(`${M}/registered-models/search`, { filter: "tags.`mlflow.prompt.is_prompt` = 'true'", max_results: '100' });
    expect(prompts.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['greeting']);
    const models = await api.get(`${M}/registered-models/search`, { filter: "tags.`mlflow.prompt.is_prompt` != 'true'", max_results: '100' });
    expect(models.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['churn']);
    // search_prompt_versions
    const versions = await api.get(`${M}/model-versions/search`, { filter: "name = 'greeting' AND tag.`mlflow.prompt.is_prompt` = 'true'", order_by: 'version_number DESC', max_results: '100' });
    expect(versions.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2', '1']);
  });
});

describe('one store for both APIs', () => {
  it('shows a prompt registered by MLflow in the native API: versions, labels, diff', async () => {
    const p = await api.get(`${P}/greeting`);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ name: 'greeting', description: 'first', latestVersion: 2, labels: [{ label: 'production', version: 1 }], tags: { team: 'support', _mlflow_experiment_ids: ',0,' } });
    expect(p.body.versions.map((v: { version: number; type: string; commitMessage: string }) => [v.version, v.type, v.commitMessage])).toEqual([[2, 'chat', 'chat'], [1, 'text', 'first']]);
    expect(p.body.versions[1]).toMatchObject({ variables: ['name', 'product'], labels: ['production'], tags: { team: 'support' } });
    const d = await api.get(`${P}/greeting/diff`, { from: 'production', to: '2' });
    expect(d.body.changed).toEqual(['type: text → chat']);
    expect(d.body.variables).toEqual({ added: [], removed: ['product'] });
  });

  it('serves a prompt pushed natively to MLflow\'s load_prompt, with the label the CLI moved', async () => {
    const pushed = await api.post(P, { name: 'answer', template: 'Answer {{question}} using {{context}}.', commitMessage: 'from git' });
    expect(pushed.status).toBe(201);
    expect((await api.call('PUT', `${P}/answer/labels/production`, { version: 1 })).status).toBe(201);
    const v = await loadByVersion('answer', 1);
    expect(tagMap(v.tags)).toMatchObject({ 'mlflow.prompt.is_prompt': 'true', 'mlflow.prompt.text': 'Answer {{question}} using {{context}}.', _mlflow_prompt_type: 'text' });
    const byAlias = await api.get(`${M}/registered-models/alias`, { name: 'answer', alias: 'production' });
    expect(byAlias.body.model_version.version).toBe('1');
    // The pushed prompt is a prompt to MLflow too: it carries the marker on the registered model.
    const rm = await api.get(`${M}/registered-models/get`, { name: 'answer' });
    expect(tagMap(rm.body.registered_model.tags)['mlflow.prompt.is_prompt']).toBe('true');
  });

  it('refuses set_prompt_alias under a policy whose checks fail, naming them, and moves nothing', async () => {
    const policy = { aliases: { production: { checks: [{ type: 'approvals', required: 1 }] } } };
    expect((await api.call('PUT', '/api/v1/models/greeting/policy', policy)).status).toBe(200);
    const refused = await api.post(`${M}/registered-models/alias`, { name: 'greeting', alias: 'production', version: '2' });
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(refused.body.message).toContain('blocked by the promotion policy');
    expect((await api.get(`${M}/registered-models/alias`, { name: 'greeting', alias: 'production' })).body.model_version.version).toBe('1');
    // Labels the policy does not name still move.
    expect((await api.post(`${M}/registered-models/alias`, { name: 'greeting', alias: 'staging', version: '2' })).status).toBe(200);
  });
});
