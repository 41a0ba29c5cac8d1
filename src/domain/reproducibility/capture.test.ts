import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { environmentFacts } from './capture.js';

describe('environment capture', () => {
  it('asks Python for its version and packages through the launcher the command uses', async () => {
    const version = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim().replace('Python ', '');
    const frozen = execFileSync('python3', ['-m', 'pip', 'freeze', '--disable-pip-version-check'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('=='));
    // `env python3 train.py` is a launcher in front of the interpreter, as `uv run python` or `conda run` are.
    const facts = await environmentFacts(['env', 'python3', 'train.py'], os.tmpdir());
    expect(facts.interpreters).toEqual({ node: process.versions.node, python: version });
    expect(Object.entries(facts.libraries).map(([name, v]) => `${name}==${v}`)).toEqual(frozen.map((l) => l.replace(/^[^=]+/, (name) => name.toLowerCase())));
    expect((await environmentFacts(['sh', 'train.sh'], os.tmpdir())).interpreters).toEqual({ node: process.versions.node });
  }, 60_000);
});
