/**
 * The audit log against someone who can write to its database: they delete the newest entries, or edit one and
 * recompute the later hashes with the (public) keyless chain function. Signed entries catch the re-hash; signed
 * checkpoints outside the database catch the truncation, and a re-hash by someone who holds the key.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../src/artifacts/s3rver.fixture.js';
import { FileCheckpointSink, openCheckpointSink, WebhookCheckpointSink } from '../../src/domain/governance/audit-checkpoint-sinks.js';
import { parseKeyring, type AuditCheckpoint } from '../../src/domain/governance/audit-keys.js';
import { AuditLog, chainHash, GENESIS_HASH } from '../../src/domain/governance/audit-log.js';
import type { AuditEntry } from '../../src/domain/governance/types.js';
import type { DatabaseHandle } from '../../src/store/db.js';
import { SqlGovernanceStore } from '../../src/store/sql/governance.sql-store.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';
import { testBackends } from '../support/backends.js';

const K1 = parseKeyring(`k1=${'a'.repeat(64)}`, 'test');
const K12 = parseKeyring(`k1=${'a'.repeat(64)}\nk2=${'second-key-long-enough-32-bytes-or-more'}`, 'test');
const K2 = parseKeyring('k2=second-key-long-enough-32-bytes-or-more', 'test');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-audit-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const entry = (i: number) => ({ actor: 'ann', action: `POST /api/v1/things/${i}`, status: 200, requestId: `r${i}`, sourceIp: '10.0.0.1', summary: 'name', object: `thing:${i}`, detail: '{"after":{"n":1}}' });

for (const backend of testBackends()) {
  describe(`audit integrity on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SqlGovernanceStore;
    let now = 1_700_000_000_000;
    const clock = { now: () => ++now };

    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlGovernanceStore(handle);
    });
    afterAll(async () => {
      await handle.close();
    });

    const rows = async (): Promise<AuditEntry[]> => store.listAudit({ limit: 10_000 });
    const reset = async () => {
      await handle.db.deleteFrom('gov_audit_log').execute();
    };
    /** What an attacker without the key does after editing entry `from`: recompute every later hash with sha256. */
    const rehashKeyless = async (from: number) => {
      const all = await rows();
      let prev = all.find((e) => e.seq === from - 1)?.hash ?? GENESIS_HASH;
      for (const e of all.filter((x) => x.seq >= from)) {
        const hash = chainHash(prev, e.seq, e);
        await handle.db.updateTable('gov_audit_log').set({ prev_hash: prev, hash, key_id: '' }).where('seq', '=', e.seq).execute();
        prev = hash;
      }
    };

    it('without keys or checkpoints, a tail deletion and a keyless re-hash both still verify (what the old chain missed)', async () => {
      await reset();
      const audit = new AuditLog(store, clock);
      for (let i = 1; i <= 10; i++) await audit.append(entry(i));
      await handle.db.deleteFrom('gov_audit_log').where('seq', '>', 7).execute();
      await handle.db.updateTable('gov_audit_log').set({ actor: 'mallory' }).where('seq', '=', 4).execute();
      await rehashKeyless(4);
      expect(await audit.verify()).toEqual({ ok: true, checked: 7, keyed: false });
    });

    it('tells retention from deletion of the oldest entries, in every mode', async () => {
      await reset();
      const audit = new AuditLog(store, clock);
      for (let i = 1; i <= 5; i++) await audit.append(entry(i));
      // Retention chains a checkpoint naming the last entry it drops, then drops them: still verifies.
      expect(await audit.prune(0)).toBe(5);
      for (let i = 6; i <= 8; i++) await audit.append(entry(i));
      expect(await audit.verify()).toEqual({ ok: true, checked: 4, keyed: false });
      // Deleting the oldest entries by hand (here the retention checkpoint itself) is not retention.
      await handle.db.deleteFrom('gov_audit_log').where('seq', '<=', 7).execute();
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 7, reason: 'entries up to 7 were removed without a retention checkpoint' });
    });

    it('finds a keyless re-hash of a signed chain, even one that strips the signatures', async () => {
      await reset();
      const audit = new AuditLog(store, clock, { keyring: K1 });
      for (let i = 1; i <= 10; i++) await audit.append(entry(i));
      expect(await audit.verify()).toEqual({ ok: true, checked: 10, keyed: true });
      const pristine = await rows();

      await handle.db.updateTable('gov_audit_log').set({ actor: 'mallory' }).where('seq', '=', 6).execute();
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 6, reason: 'content does not match its signature' });
      await rehashKeyless(6);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 6, reason: expect.stringContaining('unsigned although the entries before it are signed') });

      // Keeping the key id but recomputing with sha256 is no better: the signature is an HMAC only the key holder makes.
      await reset();
      await store.appendAudit(pristine);
      const forged = pristine.map((e) => (e.seq === 6 ? { ...e, actor: 'mallory', hash: chainHash(e.prevHash, e.seq, { ...e, actor: 'mallory' }) } : e));
      await reset();
      await store.appendAudit(forged);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 6 });
    });

    it('finds a signed log stripped of its signatures from the first entry on, cut back to its unsigned entries, or emptied', async () => {
      await reset();
      const keyless = new AuditLog(store, clock);
      for (let i = 1; i <= 3; i++) await keyless.append(entry(i));
      // Keys are given to a server whose log is unsigned so far: it announces its key at start, and verifies at once.
      const audit = new AuditLog(store, clock, { keyring: K1 });
      await audit.checkKeys();
      expect((await rows()).map((e) => [e.seq, e.keyId, e.action])).toEqual([
        [1, '', 'POST /api/v1/things/1'], [2, '', 'POST /api/v1/things/2'], [3, '', 'POST /api/v1/things/3'], [4, 'k1', 'audit.key-rotated'],
      ]);
      expect(await audit.verify()).toEqual({ ok: true, checked: 4, keyed: true });
      await audit.checkKeys();
      expect(await rows()).toHaveLength(4);
      for (let i = 4; i <= 8; i++) await audit.append(entry(i));
      const pristine = await rows();
      const stripped = { ok: false, keyed: false, firstBadSeq: 1, reason: expect.stringContaining('unsigned although this server signs it') };

      // Every entry re-hashed with the public sha256 chain: consistent, but unsigned.
      await handle.db.updateTable('gov_audit_log').set({ actor: 'mallory' }).where('seq', '=', 6).execute();
      await rehashKeyless(1);
      expect(await audit.verify()).toMatchObject(stripped);
      // The signed entries deleted, back to the unsigned ones before the key.
      await reset();
      await store.appendAudit(pristine.filter((e) => e.keyId === ''));
      expect(await audit.verify()).toMatchObject(stripped);
      await reset();
      expect(await audit.verify()).toMatchObject({ ok: false, reason: 'the log is empty although this server signs it: its entries were deleted' });
      // A fresh log under keys starts with the key's announcement.
      await audit.checkKeys();
      expect((await rows()).map((e) => [e.seq, e.keyId, e.action, e.detail])).toEqual([[1, 'k1', 'audit.key-rotated', '{"from":"","to":"k1"}']]);
      expect(await audit.verify()).toEqual({ ok: true, checked: 1, keyed: true });
    });

    it('finds deleted tail entries, and a whole-chain rewrite, against the newest signed checkpoint in a file', async () => {
      await reset();
      const sink = new FileCheckpointSink(path.join(dir, `${backend.name}-checkpoints.jsonl`));
      const audit = new AuditLog(store, clock, { keyring: K1, sink });
      for (let i = 1; i <= 20; i++) await audit.append(entry(i));
      const first = await audit.checkpoint();
      expect(first).toMatchObject({ seq: 20, keyId: 'k1', head: (await rows()).at(-1)!.hash });
      // Nothing new, nothing written.
      expect(await audit.checkpoint()).toBeUndefined();
      for (let i = 21; i <= 25; i++) await audit.append(entry(i));
      await audit.checkpoint();
      for (let i = 26; i <= 28; i++) await audit.append(entry(i));
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 28, keyed: true, checkpoint: { seq: 25, source: expect.stringContaining('file ') }, unanchored: 3 });
      const pristine = await rows();

      // Entries after the newest checkpoint can go unnoticed until the next one: that is the window the interval sets.
      await handle.db.deleteFrom('gov_audit_log').where('seq', '>', 25).execute();
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 25, unanchored: 0 });
      // Anything the checkpoint covers cannot.
      await handle.db.deleteFrom('gov_audit_log').where('seq', '>', 22).execute();
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 23, reason: expect.stringContaining('entries 23 to 25 were deleted') });
      // Nor does the server launder the cut by checkpointing the shorter log, before or after a restart, or once it grew back.
      const anchorsFile = path.join(dir, `${backend.name}-checkpoints.jsonl`);
      const written = fs.readFileSync(anchorsFile, 'utf8');
      await expect(audit.checkpoint()).rejects.toThrow('ends at entry 22 but was checkpointed at entry 25');
      const restarted = new AuditLog(store, clock, { keyring: K1, sink });
      for (let i = 23; i <= 26; i++) await restarted.append(entry(i));
      await expect(restarted.checkpoint()).rejects.toThrow('Audit entry 25 differs from its checkpoint');
      expect(fs.readFileSync(anchorsFile, 'utf8')).toBe(written);
      expect(await restarted.verify()).toMatchObject({ ok: false, firstBadSeq: 25, reason: expect.stringContaining('the chain up to it was rewritten') });

      // Someone holding the key rewrites entry 3 and re-signs everything after it: the checkpoint's head no longer matches.
      await reset();
      const key = K1.current;
      let prev = GENESIS_HASH;
      const resigned = pristine.filter((e) => e.seq <= 25).map((e) => {
        const fields = e.seq === 3 ? { ...e, actor: 'mallory' } : e;
        const hash = chainHash(prev, e.seq, fields, key);
        const out = { ...fields, prevHash: prev, hash };
        prev = hash;
        return out;
      });
      await store.appendAudit(resigned);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 25, reason: expect.stringContaining('entry 25 differs from the checkpoint') });

      // A forged checkpoint appended to the file by someone without the key is refused.
      const forged: AuditCheckpoint = { seq: 25, head: resigned.at(-1)!.hash, at: now, keyId: 'k1', signature: '0'.repeat(64) };
      fs.appendFileSync(path.join(dir, `${backend.name}-checkpoints.jsonl`), `${JSON.stringify(forged)}\n`);
      expect(await audit.verify()).toMatchObject({ ok: false, reason: 'the checkpoint signature does not match' });
    });

    it('records a key rotation in the chain, verifies across it with both keys, and refuses to start without the old one', async () => {
      await reset();
      await (async () => {
        const old = new AuditLog(store, clock, { keyring: K1 });
        for (let i = 1; i <= 3; i++) await old.append(entry(i));
      })();
      const rotated = new AuditLog(store, clock, { keyring: K12 });
      await rotated.checkKeys();
      await rotated.append(entry(4));
      const all = await rows();
      expect(all.map((e) => [e.seq, e.keyId, e.action])).toEqual([
        [1, 'k1', 'POST /api/v1/things/1'], [2, 'k1', 'POST /api/v1/things/2'], [3, 'k1', 'POST /api/v1/things/3'],
        [4, 'k2', 'audit.key-rotated'], [5, 'k2', 'POST /api/v1/things/4'],
      ]);
      expect(JSON.parse(all[3]!.detail)).toEqual({ from: 'k1', to: 'k2' });
      expect(await rotated.verify()).toEqual({ ok: true, checked: 5, keyed: true });
      // Dropping the old key from the list makes the old entries unverifiable: say which key is missing.
      expect(await new AuditLog(store, clock, { keyring: K2 }).verify()).toMatchObject({ ok: false, firstBadSeq: 1, reason: "is signed with key 'k1', which this server does not hold" });
      // A key change without its rotation entry is tampering.
      await handle.db.deleteFrom('gov_audit_log').where('seq', '>=', 4).execute();
      const e = await rows();
      const sneaky = { ...entry(9), at: now, seq: 4, prevHash: e[2]!.hash, keyId: 'k2' };
      await store.appendAudit([{ ...sneaky, hash: chainHash(sneaky.prevHash, 4, sneaky, K2.current) }]);
      expect(await rotated.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringContaining('without a recorded rotation') });
      // A server without keys (or without the newest one) would break the chain: it refuses to start.
      await expect(new AuditLog(store, clock).checkKeys()).rejects.toThrow(/start the server with its audit keys/);
      await expect(new AuditLog(store, clock, { keyring: K1 }).checkKeys()).rejects.toThrow(/key 'k2', missing from the audit keys/);
    });
  });
}

describe('checkpoint sinks beyond a file', () => {
  let s3: RunningS3rver;
  beforeAll(async () => {
    s3 = await startS3rver('audit');
  }, 60_000);
  afterAll(async () => {
    await s3.stop();
  });

  it('keeps each checkpoint as its own object in the S3 artifact store and reads the newest back', async () => {
    const sink = openCheckpointSink('s3://audit/anchors', s3.config);
    expect(sink.readable).toBe(true);
    expect(await sink.latest()).toBeUndefined();
    const at = Date.UTC(2026, 0, 1);
    for (const seq of [9, 10, 100]) await sink.append({ seq, head: String(seq % 10).repeat(64), at: at + seq, keyId: '', signature: '' });
    expect(await sink.latest()).toEqual({ seq: 100, head: '0'.repeat(64), at: at + 100, keyId: '', signature: '' });
  });

  it('posts checkpoints to a webhook, whose copy verify then takes', async () => {
    const received: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/audit`;
      const sink = openCheckpointSink(url, s3.config);
      expect(sink).toBeInstanceOf(WebhookCheckpointSink);
      const c: AuditCheckpoint = { seq: 3, head: 'f'.repeat(64), at: 1, keyId: 'k1', signature: 'x' };
      await sink.append(c);
      expect(received).toEqual([{ type: 'openexpert.audit.checkpoint', checkpoint: c }]);
      expect(await sink.latest()).toBeUndefined();
    } finally {
      server.close();
    }
  });
});

describe('a server with audit keys and checkpoints', () => {
  it('signs what it writes, checkpoints when it stops, and verifies a given checkpoint over the API', async () => {
    const keys = path.join(dir, 'audit.keys');
    fs.writeFileSync(keys, `# rotated yearly\nk2025=${'b'.repeat(64)}\n`);
    const anchors = path.join(dir, 'server-checkpoints.jsonl');
    const server = await startAuthApp({ auditKeysFile: keys, auditCheckpoints: anchors, auditCheckpointSeconds: 3600 });
    const admin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
    const get = async (url: string) => JSON.parse((await server.app.inject({ method: 'GET', url, headers: { authorization: admin } })).body) as Record<string, unknown>;
    try {
      for (let i = 0; i < 3; i++) await server.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: { authorization: admin, 'content-type': 'application/json' }, payload: { name: `signed-${i}` } });
      const entries = (await get('/api/v1/audit?limit=10')).entries as AuditEntry[];
      expect(new Set(entries.map((e) => e.keyId))).toEqual(new Set(['k2025']));
      expect(await get('/api/v1/audit/verify')).toMatchObject({ ok: true, keyed: true });
      // The webhook receiver's copy of a checkpoint naming an entry the log no longer reaches: reported as deleted.
      const head = entries.at(-1)!;
      const ahead = { seq: head.seq + 5, head: head.hash, at: Date.now(), keyId: '', signature: '' };
      expect(await get(`/api/v1/audit/verify?checkpoint=${encodeURIComponent(JSON.stringify(ahead))}`)).toMatchObject({ ok: false, reason: 'the checkpoint is unsigned although the log is keyed' });
      const bad = await server.app.inject({ method: 'GET', url: '/api/v1/audit/verify?checkpoint=%7Bnope', headers: { authorization: admin } });
      expect([bad.statusCode, JSON.parse(bad.body).error.message]).toEqual([400, expect.stringContaining("'checkpoint'")]);
    } finally {
      await server.close();
    }
    const written = fs.readFileSync(anchors, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditCheckpoint);
    expect(written.at(-1)).toMatchObject({ keyId: 'k2025', signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
