import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectFiles } from './dataset-transfer.js';

let root: string;
let data: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-collect-'));
  data = path.join(root, 'data');
  fs.mkdirSync(path.join(data, 'nested'), { recursive: true });
  fs.mkdirSync(path.join(root, 'shared'));
  fs.writeFileSync(path.join(data, 'a.csv'), 'x\n1\n');
  fs.writeFileSync(path.join(data, 'nested', 'b.csv'), 'x\n2\n');
  fs.writeFileSync(path.join(root, 'outside.csv'), 'x\n3\n4\n');
  fs.writeFileSync(path.join(root, 'shared', 'c.csv'), 'x\n5\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const paths = (files: { path: string; size: number }[]) => files.map((f) => `${f.path}:${f.size}`).sort();

describe('collectFiles', () => {
  it('follows symlinked files and folders inside the folder, as DVC does', () => {
    fs.symlinkSync(path.join(root, 'outside.csv'), path.join(data, 'link.csv'));
    fs.symlinkSync(path.join(root, 'shared'), path.join(data, 'shared'));
    expect(paths(collectFiles(data))).toEqual(['a.csv:4', 'link.csv:6', 'nested/b.csv:4', 'shared/c.csv:4']);
    // Read through the link, the bytes are the target's.
    const link = collectFiles(data).find((f) => f.path === 'link.csv')!;
    expect(fs.readFileSync(link.absolute, 'utf8')).toBe('x\n3\n4\n');
  });

  it('refuses symlinks by name when told not to follow them, never skipping them silently', () => {
    fs.symlinkSync(path.join(root, 'outside.csv'), path.join(data, 'link.csv'));
    fs.symlinkSync(path.join(root, 'shared'), path.join(data, 'nested', 'shared'));
    expect(() => collectFiles(data, { followSymlinks: false })).toThrow("Not following symlinks (--no-follow-symlinks): 'link.csv', 'nested/shared'");
  });

  it('names a broken symlink and a link back into its own folder', () => {
    fs.symlinkSync(path.join(root, 'gone.csv'), path.join(data, 'broken.csv'));
    expect(() => collectFiles(data)).toThrow(`Symlink 'broken.csv' points to '${path.join(root, 'gone.csv')}', which does not exist`);
    fs.rmSync(path.join(data, 'broken.csv'));
    fs.symlinkSync(data, path.join(data, 'nested', 'loop'));
    expect(() => collectFiles(data)).toThrow("Symlink 'nested/loop' leads back into a folder that contains it");
  });
});
