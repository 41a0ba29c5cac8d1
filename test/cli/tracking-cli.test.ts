import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('openexpert experiments and runs', () => {
  it('creates, lists and deletes experiments, with table and JSON output', async () => {
    const created = await runCli(['experiments', 'create', 'cli-exp', '--url', server.url, '--json']);
    expect(created.code).toBe(0);
    const id = JSON.parse(created.stdout).experimentId as string;

    const table = await runCli(['experiments', 'list', '--url', server.url]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STAGE/);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+cli-exp\\s+active`, 'm'));

    const dup = await runCli(['experiments', 'create', 'cli-exp', '--url', server.url]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('RESOURCE_ALREADY_EXISTS');

    expect((await runCli(['experiments', 'delete', id, '--url', server.url])).code).toBe(0);
    const after = JSON.parse((await runCli(['experiments', 'list', '--url', server.url, '--json'])).stdout) as { name: string }[];
    expect(after.map((e) => e.name)).not.toContain('cli-exp');
  });

  it('searches runs with filter and order, and shows one run', { timeout: 90_000 }, async () => {
    const api = jsonClient(server.url);
    const exp = (await api.post('/api/2.0/mlflow/experiments/create', { name: 'cli-runs' })).body.experiment_id as string;
    const ids: string[] = [];
    for (const acc of [0.7, 0.95, 0.9]) {
      const id = (await api.post('/api/2.0/mlflow/runs/create', { experiment_id: exp, run_name: `acc-${acc}` })).body.run.info.run_id as string;
      await api.post('/api/2.0/mlflow/runs/log-batch', { run_id: id, metrics: [{ key: 'acc', value: acc, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.1' }] });
      ids.push(id);
    }
    const res = await runCli(['runs', 'search', '-e', exp, '--filter', 'metrics.acc > 0.8', '--order-by', 'metrics.acc DESC', '--url', server.url]);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/RUN ID\s+NAME\s+STATUS\s+STARTED\s+USER\s+acc/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([ids[1], ids[2]]);

    const json = JSON.parse((await runCli(['runs', 'list', '-e', exp, '--url', server.url, '--json'])).stdout) as unknown[];
    expect(json).toHaveLength(3);
    const byName = JSON.parse((await runCli(['runs', 'list', '-e', 'cli-runs', '--url', server.url, '--json'])).stdout) as unknown[];
    expect(byName).toEqual(json);
    const unknownName = await runCli(['runs', 'list', '-e', 'no-such-experiment', '--url', server.url]);
    expect(unknownName.code).toBe(1);
    expect(unknownName.stderr).toContain("no experiment named 'no-such-experiment'");

    const show = await runCli(['runs', 'show', ids[0]!, '--url', server.url]);
    expect(show.stdout).toMatch(/^name\s+acc-0.7$/m);
    expect(show.stdout).toMatch(/^lr\s+0.1$/m);
    expect(show.stdout).toMatch(/^acc\s+0.7\s+0$/m);

    const bad = await runCli(['runs', 'search', '-e', exp, '--filter', 'metrics.acc >>', '--url', server.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_PARAMETER_VALUE');
  });
});

describe('openexpert db migrate', () => {
  it('creates the schema in a new database and is a no-op the second time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-migrate-'));
    const file = path.join(dir, 'x.db');
    const first = await runCli(['db', 'migrate', '--db', `sqlite:${file}`]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Applied 0001-tracking');
    const db = new Database(file, { readonly: true });
    const tables = (db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((t) => t.name);
    db.close();
    expect(tables).toEqual(expect.arrayContaining(['experiments', 'runs', 'metrics', 'latest_metrics', 'params', 'tags']));
    const second = await runCli(['db', 'migrate', '--db', `sqlite:${file}`]);
    expect(second.stdout).toContain('is up to date');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
