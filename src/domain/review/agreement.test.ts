import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../serving/router.js';
import { cohensKappa, fleissKappa } from './agreement.js';
import { agreementOf, assign } from './review.service.js';
import type { ReviewItem } from './types.js';

/** A Python with scikit-learn: Debian's (python3-sklearn) before whatever python3 is first on the PATH. */
const sklearnPython = ['/usr/bin/python3', 'python3'].find((python) => {
  try {
    execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** Rows of a 2×2 table as rating pairs: `table[a][b]` items rated a by the first rater and b by the second. */
const pairsOf = (labels: string[], table: number[][]) => {
  const a: string[] = [];
  const b: string[] = [];
  table.forEach((row, i) => row.forEach((n, j) => {
    for (let k = 0; k < n; k++) {
      a.push(labels[i]!);
      b.push(labels[j]!);
    }
  }));
  return { a, b };
};

describe("Cohen's kappa", () => {
  it("matches Wikipedia's worked example: 50 grant proposals, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → p_o 0.7, p_e 0.5, κ 0.4", () => {
    const { a, b } = pairsOf(['yes', 'no'], [[20, 5], [10, 15]]);
    const r = cohensKappa(a, b);
    expect(r.observed).toBeCloseTo(0.7, 12);
    expect(r.expected).toBeCloseTo(0.5, 12);
    expect(r.kappa).toBeCloseTo(0.4, 12);
  });

  it('is 1 for identical ratings, undefined when both raters used a single label, and negative below chance', () => {
    expect(cohensKappa(['a', 'b', 'c'], ['a', 'b', 'c']).kappa).toBe(1);
    expect(cohensKappa(['a', 'a'], ['a', 'a']).kappa).toBeNull();
    // Perfect disagreement on a balanced 2×2: p_o 0, p_e 0.5, κ = −1.
    expect(cohensKappa(['a', 'b', 'a', 'b'], ['b', 'a', 'b', 'a']).kappa).toBeCloseTo(-1, 12);
  });

  it.skipIf(!sklearnPython)("agrees with scikit-learn's cohen_kappa_score on 40 seeded random cases", () => {
    const random = seededRandom(23);
    const cases = Array.from({ length: 40 }, () => {
      const k = 2 + Math.floor(random() * 4);
      const n = 5 + Math.floor(random() * 200);
      const skew = random();
      const label = () => `c${Math.floor(random() ** (1 + skew * 2) * k)}`;
      const a = Array.from({ length: n }, label);
      // The second rater copies the first with some probability, so kappas spread over (−0.2, 1].
      const copy = random();
      const b = a.map((x) => (random() < copy ? x : label()));
      return { a, b };
    });
    const script = 'import json,math,sys,warnings\nfrom sklearn.metrics import cohen_kappa_score\nwarnings.simplefilter("ignore")\n'
      + 'ks = [float(cohen_kappa_score(c["a"], c["b"])) for c in json.load(sys.stdin)]\nprint(json.dumps([None if math.isnan(k) else k for k in ks]))';
    const reference = JSON.parse(execFileSync(sklearnPython!, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' })) as (number | null)[];
    // scikit-learn's NaN (both raters used one label) is our null.
    cases.forEach((c, i) => {
      const kappa = cohensKappa(c.a, c.b).kappa;
      if (reference[i] === null) expect(kappa, `case ${i}`).toBeNull();
      else expect(kappa, `case ${i}`).toBeCloseTo(reference[i]!, 10);
    });
    expect(reference.filter((k) => k !== null && k < 0.9 && k > 0.1).length).toBeGreaterThan(10);
  });
});

describe("Fleiss' kappa", () => {
  it("matches Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories → P̄ 0.378, P̄e 0.213, κ 0.210", () => {
    const table = [
      [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ];
    const r = fleissKappa(table);
    expect(r.items).toBe(10);
    expect(r.ratings).toBe(140);
    expect(r.observed).toBeCloseTo(0.378, 3);
    expect(r.expected).toBeCloseTo(0.213, 3);
    expect(r.kappa).toBeCloseTo(0.21, 3);
  });

  it("equals Scott's pi for two raters (the two-rater case of Fleiss), computed by hand on the 2×2 example", () => {
    // Pooled marginals: yes (25 + 30)/100 = 0.55, no 0.45 → P̄e = 0.55² + 0.45² = 0.505; P̄ = p_o = 0.7.
    const counts = [...Array(20).fill([2, 0]), ...Array(15).fill([1, 1]), ...Array(15).fill([0, 2])] as number[][];
    expect(fleissKappa(counts).kappa).toBeCloseTo((0.7 - 0.505) / (1 - 0.505), 12);
  });

  it('leaves out items with fewer than two ratings', () => {
    expect(fleissKappa([[1, 0], [2, 0], [0, 2]]).items).toBe(2);
    expect(fleissKappa([[1, 0]]).kappa).toBeNull();
  });
});

describe('agreement of a queue', () => {
  const item = (id: string, labels: [string, string][]): ReviewItem => ({
    id, queue: 'q', source: { kind: 'api', id }, reason: 'api', fields: {}, assigned: [], time: 0, createdAt: 0,
    labels: labels.map(([reviewer, label], k) => ({ reviewer, label, at: k })),
  });

  it("gives Cohen's kappa per pair on the items both labelled, and Fleiss' over all items labelled twice or more", () => {
    const { a, b } = pairsOf(['yes', 'no'], [[20, 5], [10, 15]]);
    const items = a.map((x, i) => item(`i${i}`, [['ann', x], ['bob', b[i]!]]));
    items.push(item('solo', [['ann', 'yes']]));
    const r = agreementOf(['yes', 'no'], items);
    expect(r.items).toBe(50);
    expect(r.reviewers).toEqual(['ann', 'bob']);
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({ reviewers: ['ann', 'bob'], items: 50 });
    expect(r.pairs[0]!.kappa).toBeCloseTo(0.4, 12);
    expect(r.fleiss.kappa).toBeCloseTo((0.7 - 0.505) / (1 - 0.505), 12);
    expect(r.fleiss.interpretation).toBe('fair');
  });
});

describe('assignment', () => {
  it('gives every item one reviewer, and close to the overlap share of items several, spread evenly', () => {
    const queue = { name: 'q', spec: { labels: ['a', 'b'], reviewers: ['ann', 'bob', 'cy'], overlap: 0.3, reviewersPerItem: 2 } };
    const assigned = Array.from({ length: 3000 }, (_, i) => assign(queue, `p${i}`));
    const shared = assigned.filter((a) => a.length === 2).length / assigned.length;
    // Binomial(3000, 0.3): sd ≈ 0.0084; 5 sd either way.
    expect(Math.abs(shared - 0.3)).toBeLessThan(0.042);
    expect(assigned.every((a) => a.length >= 1 && new Set(a).size === a.length)).toBe(true);
    for (const r of queue.spec.reviewers) {
      const load = assigned.filter((a) => a.includes(r)).length / assigned.length;
      // Each reviewer gets (1 + 0.3) / 3 ≈ 0.433 of the items.
      expect(Math.abs(load - 1.3 / 3)).toBeLessThan(0.05);
    }
    expect(assign(queue, 'p7')).toEqual(assign(queue, 'p7'));
    expect(assign({ name: 'q', spec: { ...queue.spec, reviewers: [] } }, 'p1')).toEqual([]);
  });
});
