/**
 * Review items filtered and paged by the database: a queue of 1,000,000 items on SQLite (a tenth labelled by one of
 * two reviewers, every item assigned to one or two of three), then pages of 100 items as the API asks for them.
 * Prints wall and CPU milliseconds per page (median of 5).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ItemFilter } from '../src/domain/review/review.store.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { SqlReviewStore } from '../src/store/sql/review.sql-store.js';

export async function runReviewItemsBench(items = 1_000_000): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-review-bench-'));
  const handle = await openDatabase(`sqlite:${path.join(dir, 'review.db')}`);
  try {
    await migrate(handle);
    const store = new SqlReviewStore(handle);
    await store.createQueue({ name: 'big', project: 'default', scope: 'project', spec: { labels: ['ok', 'wrong'], reviewers: ['ann', 'bob', 'cy'], overlap: 0.2, reviewersPerItem: 2 }, cursor: 0, createdBy: 'bench', createdAt: 0 });
    const pool = [['ann'], ['bob'], ['cy'], ['ann', 'bob'], ['bob', 'cy']];
    const loadStart = performance.now();
    const chunk = 2000;
    for (let start = 0; start < items; start += chunk) {
      await handle.db.transaction().execute(async (tx) => {
        for (let s = start; s < Math.min(items, start + chunk); s += 250) {
          const rows = Array.from({ length: Math.min(250, items - s) }, (_, k) => {
            const n = s + k;
            return {
              id: n.toString(16).padStart(32, '0'), queue: 'big', source_kind: 'api', source_id: `m${n}`, source: JSON.stringify({ kind: 'api', id: `m${n}` }), reason: 'api',
              fields: JSON.stringify({ n, text: `message ${n}` }), predicted: null, confidence: null, assigned: JSON.stringify(pool[n % pool.length]), time: 1_700_000_000_000 + Math.floor(n / 3), seq: n % 3, created_at: 0,
            };
          });
          await tx.insertInto('review_items').values(rows).execute();
          const labels = rows.filter((_, k) => (s + k) % 10 === 0).map((r, k) => ({ item_id: r.id, queue: 'big', reviewer: k % 2 === 0 ? 'ann' : 'bob', label: 'ok', comment: null, at: 0 }));
          if (labels.length > 0) await tx.insertInto('review_labels').values(labels).execute();
        }
      });
    }
    const loadMs = performance.now() - loadStart;
    const cases: [string, ItemFilter, number][] = [
      ['all, first page', { kind: 'all' }, 0],
      ['all, offset 500,000', { kind: 'all' }, 500_000],
      ['labelled, first page', { kind: 'labelled' }, 0],
      ['labelled, offset 50,000', { kind: 'labelled' }, 50_000],
      ["ann's to-do (assigned), first page", { kind: 'todo', reviewer: 'ann', assignedOnly: true }, 0],
      ["ann's to-do (assigned), offset 200,000", { kind: 'todo', reviewer: 'ann', assignedOnly: true }, 200_000],
      ["cy's to-do (anyone's items), first page", { kind: 'todo', reviewer: 'cy', assignedOnly: false }, 0],
    ];
    const pages: Record<string, { wallMs: number; cpuMs: number; items: number }> = {};
    for (const [name, filter, offset] of cases) {
      const runs: { wall: number; cpu: number; n: number }[] = [];
      for (let r = 0; r < 5; r++) {
        const cpu = process.cpuUsage();
        const t = performance.now();
        const page = await store.itemPage('big', { filter, offset, limit: 100 });
        const wall = performance.now() - t;
        const used = process.cpuUsage(cpu);
        runs.push({ wall, cpu: (used.user + used.system) / 1000, n: page.items.length });
      }
      runs.sort((a, b) => a.wall - b.wall);
      const mid = runs[2]!;
      pages[name] = { wallMs: Number(mid.wall.toFixed(1)), cpuMs: Number(mid.cpu.toFixed(1)), items: mid.n };
    }
    return { bench: 'review-items', backend: 'sqlite', items, labelled: items / 10, loadSeconds: Number((loadMs / 1000).toFixed(1)), pageSize: 100, pages };
  } finally {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  console.log(JSON.stringify(await runReviewItemsBench(n), null, 2));
}
