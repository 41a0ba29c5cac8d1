import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * The webhook verifiers printed in the monitoring guide, run as printed against a delivery the server really sent:
 * a user who copies them gets a verifier that accepts OpenExpert's signature and refuses a tampered body.
 */
const readme = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/monitoring.md'), 'utf8');
const block = (after: string, lang: string): string => {
  const at = readme.indexOf(after);
  expect(at, `the guide has ${after}`).toBeGreaterThan(-1);
  const match = new RegExp('```' + lang + '\\n([^]*?)```').exec(readme.slice(at));
  return match![1]!;
};
const hasPython = (() => {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('the monitoring guide\'s webhook verifiers', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  const received: { body: Buffer; headers: http.IncomingHttpHeaders }[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  let secret = '';

  beforeAll(async () => {
    server = await startTestServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-verifier-'));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const api = jsonClient(`${server.url}/api/v1`);
    const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => ({ age: 20 + (i % 50) + shift }));
    await api.post('/monitors', { name: 'hooked', reference: { rows: rows(300, 0) } });
    const rule = await api.post('/monitors/hooked/alert-rules', {
      name: 'age', figure: 'drifted:age', op: '>=', threshold: 1, webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    });
    secret = rule.body.webhookSecret;
    await api.post('/monitors/hooked/ingest', { rows: rows(300, 30) });
    const until = Date.now() + 15_000;
    while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
  }, 60_000);
  afterAll(async () => {
    await server.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the Node verifier accepts the delivery as received and refuses a tampered body or a wrong secret', async () => {
    const file = path.join(dir, 'verify.mjs');
    fs.writeFileSync(file, block('<!-- file: verify-webhook.mjs -->', 'js'));
    const { verify: verifyOpenExpertWebhook } = (await import(pathToFileURL(file).href)) as {
      verify: (secret: string, body: string | Buffer, headers: http.IncomingHttpHeaders) => boolean;
    };
    const { body, headers } = received[0]!;
    expect(headers['x-openexpert-event']).toBe('alert');
    expect(verifyOpenExpertWebhook(secret, body, headers)).toBe(true);
    expect(verifyOpenExpertWebhook(secret, body.toString('utf8'), headers)).toBe(true);
    expect(verifyOpenExpertWebhook(secret, body.toString('utf8').replace('"firing"', '"resolved"'), headers)).toBe(false);
    expect(verifyOpenExpertWebhook(`${secret}x`, body, headers)).toBe(false);
    expect(verifyOpenExpertWebhook(secret, body, { ...headers, 'x-openexpert-timestamp': String(Number(headers['x-openexpert-timestamp']) - 3600) })).toBe(false);
  });

  it.skipIf(!hasPython)('the Python verifier accepts the same delivery and refuses a tampered body', () => {
    const { body, headers } = received[0]!;
    const script = `${block('In Python:', 'python')}
import json, sys
case = json.load(sys.stdin)
headers = {"x-openexpert-timestamp": case["timestamp"], "x-openexpert-signature": case["signature"]}
print(json.dumps([verify(case["secret"].encode(), case["body"].encode(), headers), verify(case["secret"].encode(), case["body"].encode() + b" ", headers)]))
`;
    const out = execFileSync('python3', ['-c', script], {
      input: JSON.stringify({ secret, body: body.toString('utf8'), timestamp: headers['x-openexpert-timestamp'], signature: headers['x-openexpert-signature'] }),
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual([true, false]);
  });
});
