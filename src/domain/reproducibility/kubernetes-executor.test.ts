import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { kubernetesExecutor } from './kubernetes-executor.js';
import { StepCache } from './pipeline-cache.js';
import { runPipeline } from './pipeline-runner.js';
import { parsePipelineText, resolvePipeline } from './pipeline-spec.js';

/**
 * The Kubernetes executor against a small stand-in for the API server (no cluster here): it checks each
 * submitted Job against the shipped schema, "runs" its container command with the pipeline folder as the
 * mounted workspace, reports the Job's status as batch/v1 does (Complete, or Failed with a reason) and serves
 * the pod's log.
 */
interface Submitted {
  readonly job: { metadata: { name: string }; spec: { activeDeadlineSeconds?: number; backoffLimit: number; template: { spec: { containers: { command: string[]; env?: { name: string; value: string }[] }[] } } } };
  status: Record<string, unknown>;
  log: string;
  polls: number;
}

const schemas = path.join(path.dirname(fileURLToPath(import.meta.url)), 'manifest-schemas');
const ajv = new Ajv({ strict: false });
for (const f of fs.readdirSync(schemas)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemas, f), 'utf8')));
const validJob = ajv.getSchema('https://openexpert.dev/schemas/kubernetes-job.json')!;

let workspace: string;
let server: http.Server;
let url: string;
const jobs = new Map<string, Submitted>();
const requests: string[] = [];

beforeAll(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-k8s-'));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      const u = new URL(req.url!, 'http://x');
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && u.pathname === '/apis/batch/v1/namespaces/ml/jobs') {
        const job = JSON.parse(Buffer.concat(chunks).toString()) as Submitted['job'];
        if (!validJob(job)) return reply(422, { kind: 'Status', message: ajv.errorsText(validJob.errors) });
        const entry: Submitted = { job, status: { active: 1 }, log: '', polls: 0 };
        jobs.set(job.metadata.name, entry);
        const c = job.spec.template.spec.containers[0]!;
        const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
        execFile(c.command[0]!, c.command.slice(1), { cwd: workspace, env: { ...process.env, ...env }, timeout: (job.spec.activeDeadlineSeconds ?? 600) * 1000 }, (err, stdout, stderr) => {
          entry.log = stdout + stderr;
          const deadline = err && (err as { killed?: boolean }).killed;
          entry.status = err
            ? { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: deadline ? 'DeadlineExceeded' : 'BackoffLimitExceeded', message: deadline ? 'Job was active longer than specified deadline' : 'Job has reached the specified backoff limit' }] }
            : { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
        });
        return reply(201, job);
      }
      if (req.method === 'GET' && (m = /^\/apis\/batch\/v1\/namespaces\/ml\/jobs\/([\w-]+)$/.exec(u.pathname))) {
        const entry = jobs.get(m[1]!);
        if (!entry) return reply(404, { kind: 'Status', message: `jobs.batch "${m[1]}" not found` });
        entry.polls++;
        return reply(200, { ...entry.job, status: entry.status });
      }
      if (req.method === 'GET' && u.pathname === '/api/v1/namespaces/ml/pods') {
        const name = u.searchParams.get('labelSelector')!.replace('job-name=', '');
        return reply(200, { items: jobs.has(name) ? [{ metadata: { name: `${name}-pod` } }] : [] });
      }
      if (req.method === 'GET' && (m = /^\/api\/v1\/namespaces\/ml\/pods\/([\w-]+)-pod\/log$/.exec(u.pathname))) return reply(200, jobs.get(m[1]!)?.log ?? '');
      return reply(404, { kind: 'Status', message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(workspace, { recursive: true, force: true });
});

describe('the Kubernetes executor', () => {
  it('submits each step as a Job, waits for it, collects its log, and maps failures and deadlines', async () => {
    fs.writeFileSync(path.join(workspace, 'raw.csv'), '2\n1\n');
    const pipeline = resolvePipeline(parsePipelineText(toYaml({
      name: 'kube', defaults: { retries: 1, backoff: '10ms' }, steps: {
        prepare: { command: 'echo preparing && sort raw.csv > clean.csv', inputs: ['raw.csv'], outputs: ['clean.csv'], env: { MODE: 'k8s' } },
        broken: { command: 'echo "no such column" >&2; exit 3', inputs: ['clean.csv'], outputs: ['model.txt'] },
        slow: { command: 'sleep 20', outputs: ['slow.txt'], resources: { timeout: '1s' } },
      },
    })));
    const executor = kubernetesExecutor(pipeline, { url, token: 'sa-token', pollMs: 20 }, { namespace: 'ml', image: 'busybox:1.36', workspaceClaim: 'kube-workspace' });
    const reports = Object.fromEntries((await runPipeline({
      root: workspace, pipeline, executor, cache: new StepCache(path.join(workspace, '.openexpert', 'cache')), lockFile: path.join(workspace, 'openexpert.pipeline.lock'),
    })).map((r) => [r.step, r]));

    expect(reports.prepare).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(fs.readFileSync(path.join(workspace, 'clean.csv'), 'utf8')).toBe('1\n2\n');
    expect(fs.readFileSync(path.join(workspace, '.openexpert/logs/kube/prepare.log'), 'utf8')).toBe('preparing\n');
    // The runner retries (once here); each attempt is a Job of its own that does not retry by itself.
    expect(reports.broken).toMatchObject({ state: 'failed', attempts: 2, error: 'exited 1; see .openexpert/logs/kube/broken.log' });
    expect(fs.readFileSync(path.join(workspace, '.openexpert/logs/kube/broken.log'), 'utf8')).toContain('no such column\n\n[job kube-broken-');
    expect(reports.slow).toMatchObject({ state: 'failed', error: 'timed out after 1000 ms' });

    const submitted = [...jobs.values()].map((j) => j.job);
    expect(submitted.map((j) => j.spec.backoffLimit)).toEqual(Array(submitted.length).fill(0));
    expect(submitted.find((j) => j.metadata.name.startsWith('kube-prepare-'))!.spec.template.spec.containers[0]!.env).toEqual([{ name: 'MODE', value: 'k8s' }]);
    expect(requests.every((r) => r.endsWith('Bearer sa-token'))).toBe(true);
    expect([...jobs.values()].every((j) => j.polls >= 1)).toBe(true);

    // What the cluster did is cached like a local run: the next run submits nothing for the finished step.
    const before = requests.filter((r) => r.startsWith('POST')).length;
    const again = await runPipeline({
      root: workspace, pipeline: { ...pipeline, steps: pipeline.steps.filter((s) => s.name === 'prepare') }, executor,
      cache: new StepCache(path.join(workspace, '.openexpert', 'cache')), lockFile: path.join(workspace, 'openexpert.pipeline.lock'),
    });
    expect(again[0]).toMatchObject({ state: 'cached' });
    expect(requests.filter((r) => r.startsWith('POST')).length).toBe(before);
  }, 60_000);

  it('reports the API server\'s refusal with its message', async () => {
    const pipeline = resolvePipeline(parsePipelineText(toYaml({ name: 'kube', steps: { a: { command: 'true', outputs: ['a.txt'] } } })));
    const executor = kubernetesExecutor(pipeline, { url, pollMs: 20 }, { namespace: 'other', image: 'busybox', workspaceClaim: 'w' });
    await expect(executor.run(pipeline.steps[0]!, { cwd: workspace, env: {}, logFile: path.join(workspace, 'x.log') }))
      .rejects.toThrow(/^Kubernetes API POST \/apis\/batch\/v1\/namespaces\/other\/jobs answered 404: not found$/);
  });
});
