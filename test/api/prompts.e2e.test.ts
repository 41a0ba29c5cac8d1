import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPgSchema } from '../support/backends.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/** The prompt registry's native API, on SQLite and on PostgreSQL: pushes, variables, diffs, labels under a policy, rendering. */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const P = '/api/v1/prompts';
const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:`).toString('base64')}` });
const put = (path: string, body: unknown, user = 'alice') => api.call('PUT', path, body, as(user));


const V1 = 'Summarize the ticket for {{ audience }}:\n{{ticket}}\nBe brief.';
const V2 = 'You are a support lead.\nSummarize the ticket for {{ audience }}:\n{{ticket}}\nAnswer in {{language}}.';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`on ${backend}`, () => {
  let schema: Awaited<ReturnType<typeof emptyPgSchema>> | undefined;
  beforeAll(async () => {
    schema = backend === 'postgres' ? await emptyPgSchema('prompts') : undefined;
    server = await startTestServer(schema ? { db: schema.url } : {});
    api = jsonClient(server.url);
  });
  afterAll(async () => {
    await server.close();
    await schema?.drop();
  });

  describe('pushing templates', () => {
    it('creates a prompt, then a version only when the content changed', async () => {
      const first = await api.post(P, { name: 'summarize', template: V1, description: 'ticket summaries', commitMessage: 'first' });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ name: 'summarize', version: 1, action: 'created', variables: ['audience', 'ticket'] });
      const again = await api.post(P, { name: 'summarize', template: V1, commitMessage: 'same text again' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ version: 1, action: 'unchanged' });
      const second = await api.post(P, { name: 'summarize', template: V2, commitMessage: 'tone and language', variables: ['audience', 'ticket', 'language'] });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ version: 2, action: 'updated', variables: ['audience', 'ticket', 'language'] });

      const detail = await api.get(`${P}/summarize`);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ name: 'summarize', description: 'ticket summaries', latestVersion: 2, labels: [], tags: {} });
      expect(detail.body.versions.map((v: { version: number; commitMessage: string }) => [v.version, v.commitMessage])).toEqual([[2, 'tone and language'], [1, 'first']]);
      expect(detail.body.versions[1]).toMatchObject({ type: 'text', template: V1, variables: ['audience', 'ticket'] });
    });

    it('refuses malformed placeholders and variables that do not match the declared ones, naming each problem', async () => {
      const bad = await api.post(P, { name: 'bad', template: 'Hello {{ user name }}\nand {{ticket', variables: ['user'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(bad.body.error.message).toContain("line 1: '{{ user name }}' is not a variable");
      expect(bad.body.error.message).toContain("line 2: '{{' is not closed");
      expect(bad.body.error.message).toContain('declared but not used: user');
      const undeclared = await api.post(P, { name: 'bad', template: 'Hi {{a}} {{b}}', variables: ['a'] });
      expect(undeclared.body.error.message).toContain('used but not declared in variables: b');
      expect((await api.get(`${P}/bad`)).status).toBe(404);
    });

    it('keeps chat prompts as messages and refuses a name taken by a model', async () => {
      const chat = await api.post(P, { name: 'triage', template: [{ role: 'system', content: 'You triage {{product}} tickets.' }, { role: 'user', content: '{{ticket}}' }] });
      expect(chat.body).toMatchObject({ action: 'created', variables: ['product', 'ticket'] });
      const v = await api.get(`${P}/triage/versions/1`);
      expect(v.body).toMatchObject({ type: 'chat', template: [{ role: 'system', content: 'You triage {{product}} tickets.' }, { role: 'user', content: '{{ticket}}' }] });
      await api.post('/api/v1/models', { name: 'churn-model' });
      const clash = await api.post(P, { name: 'churn-model', template: 'x' });
      expect(clash.status).toBe(400);
      expect(clash.body.error.message).toContain('is a registered model, not a prompt');
      // Prompts are not models: the model list leaves them out, the prompt list has only them.
      const models = await api.get('/api/v1/models');
      expect(models.body.items.map((m: { name: string }) => m.name)).toEqual(['churn-model']);
      expect((await api.get(P)).body.items.map((p: { name: string }) => p.name)).toEqual(['summarize', 'triage']);
    });
  });

  describe('diffs and rendering', () => {
    it('diffs two versions line by line as diff -u does', async () => {
      const d = await api.get(`${P}/summarize/diff`, { from: '1', to: '2' });
      expect(d.status).toBe(200);
      expect(d.body.unified).toBe([
        '--- summarize/1', '+++ summarize/2', '@@ -1,3 +1,4 @@',
        '+You are a support lead.', ' Summarize the ticket for {{ audience }}:', ' {{ticket}}', '-Be brief.', '+Answer in {{language}}.', '',
      ].join('\n'));
      expect(d.body.variables).toEqual({ added: ['language'], removed: [] });
      expect(d.body.changed).toEqual([]);
      const same = await api.get(`${P}/summarize/diff`, { from: '2', to: 'latest' });
      expect(same.body).toMatchObject({ from: 2, to: 2, unified: '', hunks: [] });
    });

    it('renders a version with every variable filled in, and names what is missing', async () => {
      const r = await api.post(`${P}/summarize/versions/1/render`, { variables: { audience: 'engineers', ticket: 'Login fails' } });
      expect(r.body).toEqual({ version: 1, template: 'Summarize the ticket for engineers:\nLogin fails\nBe brief.' });
      const missing = await api.post(`${P}/summarize/versions/2/render`, { variables: { audience: 'engineers' } });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toBe('No value for variables ticket, language');
    });
  });

  describe('labels', () => {
    it('moves a label freely while the prompt has no policy, and records the move', async () => {
      const moved = await put(`${P}/summarize/labels/staging`, { version: 2, reason: 'try the new tone' });
      expect(moved.status).toBe(201);
      expect(moved.body).toMatchObject({ state: 'completed', target: '@staging', version: 2 });
      expect((await api.get(`${P}/summarize/versions/staging`)).body).toMatchObject({ version: 2, labels: ['staging'] });
      const history = await api.get(`${P}/summarize/history`);
      expect(history.body.items).toMatchObject([{ version: 2, target: '@staging', actor: 'alice', reason: 'try the new tone' }]);
    });

    it('holds production behind an evaluation on a named dataset and an approval, as the policy says', async () => {
      const policy = {
        aliases: {
          production: {
            checks: [
              { type: 'evidence', provider: 'evaluation', params: { dataset: 'support-qa', metric: 'accuracy_score', op: '>=', value: 0.75 } },
              { type: 'approvals', required: 1 },
            ],
          },
        },
      };
      expect((await put('/api/v1/models/summarize/policy', policy)).status).toBe(200);
      const asked = await put(`${P}/summarize/labels/production`, { version: 2 });
      expect(asked.status).toBe(201);
      expect(asked.body.state).toBe('pending');
      const failed = asked.body.checks.filter((c: { passed: boolean }) => !c.passed).map((c: { type: string; detail: string }) => [c.type, c.detail.slice(0, 40)]);
      expect(failed).toEqual([['evidence', "version 2 has no evaluation on 'support-"], ['approvals', '0 of 1 approvals from users other than a']]);

      // Graded answers of version 2 on the dataset: 3 of 4 right, accuracy 0.75, as the threshold asks.
      const evaluation = await api.post('/api/v1/evaluations', {
        task: 'multiclass', label: 'expected', prediction: 'answer', model: { name: 'summarize', version: 2 },
        data: { name: 'support-qa', columns: { expected: ['refund', 'bug', 'bug', 'other'], answer: ['refund', 'bug', 'other', 'other'] } },
        bootstrap: { resamples: 0 },
      });
      expect(evaluation.status).toBe(201);
      expect(evaluation.body.result.metrics.accuracy_score.value).toBe(0.75);

      expect((await api.post(`/api/v1/promotion-requests/${asked.body.id}/approve`, {}, as('alice'))).status).toBe(403);
      const approved = await api.post(`/api/v1/promotion-requests/${asked.body.id}/approve`, { comment: 'read the diff' }, as('bob'));
      expect(approved.body.state).toBe('completed');
      const detail = await api.get(`${P}/summarize`);
      expect(detail.body.labels).toEqual([{ label: 'production', version: 2 }, { label: 'staging', version: 2 }]);
    });

    it('removes a label', async () => {
      expect((await api.call('DELETE', `${P}/summarize/labels/staging`)).status).toBe(200);
      expect((await api.get(`${P}/summarize/versions/staging`)).status).toBe(400);
    });
  });

  describe('concurrent pushes', () => {
    it('creates one version however many clients push the same change at once', async () => {
      const pushes = await Promise.all(Array.from({ length: 12 }, () => api.post(P, { name: 'raced', template: V1 })));
      expect(pushes.map((r) => r.status).sort()).toEqual([...Array<number>(11).fill(200), 201]);
      expect(pushes.filter((r) => r.body.action === 'created')).toHaveLength(1);
      expect(new Set(pushes.map((r) => r.body.version))).toEqual(new Set([1]));
      const changed = await Promise.all(Array.from({ length: 12 }, () => api.post(P, { name: 'raced', template: V2, variables: ['audience', 'ticket', 'language'] })));
      expect(changed.filter((r) => r.body.action === 'updated')).toHaveLength(1);
      expect(new Set(changed.map((r) => r.body.version))).toEqual(new Set([2]));
      const detail = await api.get(`${P}/raced`);
      expect(detail.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    });
  });
  });
}
