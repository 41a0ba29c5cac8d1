/**
 * Data-access auditing (`--audit-reads`): on a server started with `--auth --default-permission NO_PERMISSIONS
 * --audit-reads dataset,experiment`, each read of a dataset or an experiment's contents is an entry naming who
 * read what and how; reads of other kinds, and listings, are not; refused reads are `access.denied` entries,
 * within the per-address budget.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/domain/governance/types.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';

const admin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
const as = (u: string) => basicAuth(u, `${u}-password`);
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

let app: FastifyInstance;
let close: () => Promise<void>;
let exp: string;
let run: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
async function call(method: 'GET' | 'POST' | 'PUT', url: string, auth: string, payload?: unknown, from = '127.0.0.1'): Promise<{ status: number; body: any; raw: string }> {
  const res = await app.inject({ method, url, remoteAddress: from, headers: { authorization: auth }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, raw: res.body };
}

async function ok(method: 'GET' | 'POST' | 'PUT', url: string, auth: string, payload?: unknown) { // eslint-disable-line @typescript-eslint/explicit-function-return-type
  const res = await call(method, url, auth, payload);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.raw}`);
  return res.body; // eslint-disable-line @typescript-eslint/no-unsafe-return
}

const newest = async (): Promise<number> => ((await ok('GET', `${V1}/audit?newestFirst=true&limit=1`, admin)).entries[0] as AuditEntry).seq;
const since = async (seq: number, action?: string): Promise<AuditEntry[]> =>
  (await ok('GET', `${V1}/audit?afterSeq=${seq}&limit=1000${action ? `&action=${encodeURIComponent(action)}` : ''}`, admin)).entries as AuditEntry[];
/** The entries a block of requests added, as [actor, action, object, read objects]. */
async function readsDuring(work: () => Promise<unknown>): Promise<[string, string, string, string[]][]> {
  const before = await newest();
  await work();
  return (await since(before)).map((e) => [e.actor, e.action, e.object, e.summary === 'read' ? (JSON.parse(e.detail) as { read: string[] }).read : []]);
}

beforeAll(async () => {
  const server = await startAuthApp({ defaultPermission: 'NO_PERMISSIONS', auditReads: 'dataset,experiment', auditDeniedPerMinute: 4 });
  app = server.app;
  close = server.close;
  for (const username of ['alice', 'bob']) await ok('POST', `${V1}/users`, admin, { username, password: `${username}-password`, role: 'member' });
  await ok('POST', `${V1}/datasets`, as('alice'), { name: 'patients', files: [{ path: 'p.csv', content: b64('id,age\n1,40\n2,51\n') }] });
  exp = (await ok('POST', `${M}/experiments/create`, as('alice'), { name: 'trial' })).experiment_id as string;
  run = (await ok('POST', `${M}/runs/create`, as('alice'), { experiment_id: exp })).run.info.run_id as string;
  await ok('POST', `${M}/runs/log-batch`, as('alice'), { run_id: run, metrics: [{ key: 'auc', value: 0.8, timestamp: 1, step: 0 }] });
  await ok('POST', `${V1}/models`, as('alice'), { name: 'triage' });
}, 60_000);
afterAll(async () => {
  await close();
});

describe('data-access auditing (--audit-reads dataset,experiment)', () => {
  it("records each read of a chosen kind with the reader, the request and the object, the reader's file download included", async () => {
    const file = await call('GET', `${V1}/datasets/patients/versions/1/file?path=p.csv`, as('alice'));
    expect(file.raw).toBe('id,age\n1,40\n2,51\n');
    const entries = await readsDuring(async () => {
      await ok('GET', `${V1}/datasets/patients/versions/1`, as('alice'));
      expect((await call('GET', `${V1}/datasets/patients/versions/1/file?path=p.csv`, as('alice'))).status).toBe(200);
      await ok('GET', `${M}/runs/get?run_id=${run}`, as('alice'));
      await ok('GET', `${M}/metrics/get-history?run_id=${run}&metric_key=auc`, as('alice'));
      await ok('GET', `${M}/experiments/get?experiment_id=${exp}`, as('alice'));
    });
    expect(entries).toEqual([
      ['alice', `GET ${V1}/datasets/patients/versions/1`, 'dataset:patients', ['dataset:patients']],
      ['alice', `GET ${V1}/datasets/patients/versions/1/file`, 'dataset:patients', ['dataset:patients']],
      ['alice', `GET ${M}/runs/get`, `experiment:${exp}`, [`experiment:${exp}`]],
      ['alice', `GET ${M}/metrics/get-history`, `experiment:${exp}`, [`experiment:${exp}`]],
      ['alice', `GET ${M}/experiments/get`, `experiment:${exp}`, [`experiment:${exp}`]],
    ]);
    const [entry] = await since((await newest()) - 5);
    expect(entry).toMatchObject({ status: 200, sourceIp: '127.0.0.1', summary: 'read' });
  });

  it('records the reads of admins and of users granted READ alike', async () => {
    await ok('PUT', `${V1}/permissions`, as('alice'), { kind: 'dataset', id: 'patients', principalType: 'user', principal: 'bob', level: 'READ' });
    const entries = await readsDuring(async () => {
      await ok('GET', `${V1}/datasets/patients/versions/1`, as('bob'));
      await ok('GET', `${V1}/datasets/patients/versions/1`, admin);
    });
    expect(entries).toEqual([
      ['bob', `GET ${V1}/datasets/patients/versions/1`, 'dataset:patients', ['dataset:patients']],
      [TEST_ADMIN.user, `GET ${V1}/datasets/patients/versions/1`, 'dataset:patients', ['dataset:patients']],
    ]);
  });

  it('leaves out reads of kinds not chosen, and listings', async () => {
    const entries = await readsDuring(async () => {
      await ok('GET', `${V1}/models/triage`, as('alice'));
      await ok('GET', `${M}/registered-models/get?name=triage`, as('alice'));
      await ok('GET', `${V1}/datasets`, as('alice'));
      await ok('GET', `${V1}/experiments`, as('alice'));
      await ok('GET', `${M}/experiments/search?max_results=10`, as('alice'));
    });
    expect(entries).toEqual([]);
  });

  it('records a change as the change it is, not as a read', async () => {
    const entries = await readsDuring(() => ok('POST', `${M}/runs/set-tag`, as('alice'), { run_id: run, key: 'phase', value: '2' }));
    expect(entries).toEqual([['alice', `POST ${M}/runs/set-tag`, `run:${run}`, []]]);
  });

  it('records refused reads as access.denied, at most the per-address budget a minute', async () => {
    const before = await newest();
    const ip = '10.20.30.40';
    const attempts = await Promise.all(Array.from({ length: 10 }, () => call('GET', `${M}/runs/get?run_id=${run}`, as('bob'), undefined, ip)));
    expect(attempts.map((a) => a.status)).toEqual(Array(10).fill(404));
    const denied = await since(before, 'access.denied');
    // --audit-denied-per-minute 4: four written one by one (a minute boundary inside the burst lets at most four more through).
    expect(denied.length === 4 || denied.length === 8).toBe(true);
    expect(denied[0]).toMatchObject({ actor: 'bob', status: 404, object: `run:${run}`, sourceIp: ip, summary: `GET ${M}/runs/get` });
    expect(JSON.parse(denied[0]!.detail)).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', reason: `Run with id=${run} does not exist` });
    // Refused reads are not reads: nothing was read.
    expect((await since(before)).filter((e) => e.summary === 'read')).toEqual([]);
  });
});
