import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('openexpert data', () => {
  it('adds a folder by content, diffs versions by key, and gets exactly the stored bytes back', async () => {
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);
    const data = path.join(server.home, 'data');
    fs.mkdirSync(path.join(data, 'nested'), { recursive: true });
    fs.writeFileSync(path.join(data, 'train.csv'), 'id,age\n1,30\n2,40\n');
    fs.writeFileSync(path.join(data, 'nested', 'notes.txt'), 'hello\n');

    const added = await cli(['data', 'add', data, '--name', 'cli-data', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      created: true,
      version: { version: 1, rowCount: 2, files: [{ path: 'nested/notes.txt', sha256: sha('hello\n') }, { path: 'train.csv', sha256: sha('id,age\n1,30\n2,40\n') }] },
    });
    expect(JSON.parse((await cli(['data', 'add', data, '--name', 'cli-data', '--json'])).stdout).created).toBe(false);

    fs.writeFileSync(path.join(data, 'train.csv'), 'id,age\n1,30\n3,50\n');
    expect(JSON.parse((await cli(['datasets', 'add', data, '--name', 'cli-data', '--json'])).stdout).version.version).toBe(2);
    const diff = await cli(['data', 'diff', 'cli-data@1', 'cli-data@2', '--key', 'id']);
    expect(diff.stdout).toContain('cli-data@1 → cli-data@2; rows 2 → 2');
    expect(diff.stdout).toContain('~ file train.csv');
    expect(diff.stdout).toContain('rows by id: 1 added, 1 removed, 0 changed');

    // Version 1's train.csv is still referenced; nothing is left over, so gc has nothing to remove.
    const gc = await cli(['gc', '--dry-run']);
    expect([gc.code, gc.stdout]).toEqual([0, 'Would remove 0 unreferenced blob(s), freeing 0 bytes (0.00 MB)\nKept 3 blob(s) that versions reference\n']);

    // An empty file: added with a warning by default, or refused with its name.
    fs.writeFileSync(path.join(data, 'empty.csv'), '');
    const refused = await cli(['data', 'add', data, '--name', 'cli-data', '--empty', 'refuse']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining("Empty file(s) 'empty.csv' (0 bytes); nothing was added")]);
    const warned = await cli(['data', 'add', data, '--name', 'cli-data', '--json']);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain("warning: Empty file(s) 'empty.csv' (0 bytes): kept in the version, but they hold no rows");
    expect(JSON.parse(warned.stdout).version).toMatchObject({ version: 3, rowCount: 2 });
    fs.rmSync(path.join(data, 'empty.csv'));

    const out = path.join(server.home, 'out');
    expect((await cli(['data', 'get', 'cli-data@1', '-o', out])).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'train.csv'), 'utf8')).toBe('id,age\n1,30\n2,40\n');
    expect(fs.readFileSync(path.join(out, 'nested', 'notes.txt'), 'utf8')).toBe('hello\n');

    // The stored copy changes behind the platform's back, keeping its size: only the digest can tell.
    const blob = path.join(server.home, 'artifacts', 'datasets', 'blobs', sha('hello\n').slice(0, 2), sha('hello\n'));
    fs.writeFileSync(blob, 'HELLO\n');
    const again = path.join(server.home, 'again');
    const tampered = await cli(['data', 'get', 'cli-data@1', '-o', again]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain("File 'nested/notes.txt' of 'cli-data@1'");
    expect(fs.existsSync(path.join(again, 'nested', 'notes.txt'))).toBe(false);
  }, 180_000);
});
