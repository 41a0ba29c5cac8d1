/**
 * GE's `expect_column_kl_divergence_to_be_less_than`, with GE's own arithmetic: KL(observed ‖ expected) as
 * SciPy's `stats.entropy(pk, qk)` computes it (both normalised to sum 1, natural log, 0·log 0 = 0, and
 * infinite where the data has weight the partition does not). A categorical partition is compared value
 * by value, and values it does not list share `tail_weight_holdout`. A continuous partition counts the
 * data in its bins as `np.histogram` does (each bin [a, b) but the last [a, b]), values below the first
 * and above the last edge form the tails, which get `tail_weights`, or `tail_weight_holdout` split in
 * two; `internal_weight_holdout` is shared by the empty bins. An infinite result has observed value null.
 */
import { TypeProblem } from './table.js';
import { edgeValue, type PartitionObject } from './types.js';

/** SciPy's `stats.entropy(pk, qk)`. */
export function relativeEntropy(pk: readonly number[], qk: readonly number[]): number {
  const sp = pk.reduce((a, b) => a + b, 0);
  const sq = qk.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i]! / sp;
    const q = qk[i]! / sq;
    if (p === 0) continue;
    if (q === 0) return Infinity;
    kl += p * Math.log(p / q);
  }
  return kl;
}

export interface KlOptions {
  readonly tailWeightHoldout: number;
  readonly internalWeightHoldout: number;
}

export interface KlOutcome {
  readonly divergence: number;
  readonly details: Record<string, unknown>;
}

/** Categorical: `counts` holds each distinct non-null value (as the partition writes it) with its count. */
export function categoricalKl(partition: { values: readonly (string | number | boolean)[]; weights: readonly number[] }, counts: ReadonlyMap<string, { value: unknown; count: number }>, key: (v: unknown) => string, o: KlOptions): KlOutcome {
  if (o.internalWeightHoldout > 0) throw new TypeProblem('Internal weight holdout cannot be used for discrete data.');
  const total = [...counts.values()].reduce((a, c) => a + c.count, 0);
  const expectedKeys = partition.values.map(key);
  const values: unknown[] = [...partition.values];
  const pk = expectedKeys.map((k) => (counts.get(k)?.count ?? 0) / total);
  let qk = [...partition.weights];
  const extra = [...counts.entries()].filter(([k]) => !expectedKeys.includes(k));
  for (const [, c] of extra) {
    values.push(c.value);
    pk.push(c.count / total);
  }
  if (extra.length > 0) {
    qk = qk.map((w) => w * (1 - o.tailWeightHoldout));
    for (let i = 0; i < extra.length; i++) qk.push(o.tailWeightHoldout / extra.length);
  }
  return {
    divergence: relativeEntropy(pk, qk),
    details: { observed_partition: { values, weights: pk }, expected_partition: { values, weights: qk } },
  };
}

/** Continuous: `histogram` counts the data in each bin, `below`/`above` outside the edges, `nonNull` all. */
export function continuousKl(partition: Extract<PartitionObject, { bins: unknown }>, counts: { histogram: readonly number[]; below: number; above: number; nonNull: number }, o: KlOptions): KlOutcome {
  const bins = partition.bins.map(edgeValue);
  const { tailWeightHoldout: tail, internalWeightHoldout: internal } = o;
  if (partition.tail_weights && tail !== 0) throw new TypeProblem('tail_weight_holdout must be 0 when using tail_weights in partition object');
  const observed = counts.histogram.map((h) => h / counts.nonNull);
  let expected = partition.weights.map((w) => w * (1 - tail - internal));
  if (internal > 0) {
    const zeros = expected.filter((w) => w === 0).length;
    if (zeros > 0) expected = expected.map((w) => (w === 0 ? internal / zeros : w));
  }
  const below = counts.below / counts.nonNull;
  const above = counts.above / counts.nonNull;
  const lowInf = bins[0] === -Infinity;
  const highInf = bins[bins.length - 1] === Infinity;
  if ((lowInf || highInf) && partition.tail_weights) throw new TypeProblem('There can be no tail weights for partitions with one or both endpoints at infinity');
  let combinedExpected: number[];
  let combinedObserved: number[];
  let expectedBins: number[];
  let expectedTails: number[];
  let observedTails: number[];
  let mainExpected = expected;
  let mainObserved = observed;
  if (lowInf && highInf) {
    if (tail > 0) throw new TypeProblem('tail_weight_holdout cannot be used for partitions with infinite endpoints.');
    expectedBins = bins.slice(1, -1);
    combinedExpected = expected;
    combinedObserved = observed;
    expectedTails = [expected[0]!, expected[expected.length - 1]!];
    observedTails = [observed[0]!, observed[observed.length - 1]!];
    mainExpected = expected.slice(1, -1);
    mainObserved = observed.slice(1, -1);
  } else if (lowInf) {
    expectedBins = bins.slice(1);
    combinedExpected = [...expected, tail];
    combinedObserved = [...observed, above];
    expectedTails = [expected[0]!, tail];
    observedTails = [observed[0]!, above];
    mainExpected = expected.slice(1);
    mainObserved = observed.slice(1);
  } else if (highInf) {
    expectedBins = bins.slice(0, -1);
    combinedExpected = [tail, ...expected];
    combinedObserved = [below, ...observed];
    expectedTails = [tail, expected[expected.length - 1]!];
    observedTails = [below, observed[observed.length - 1]!];
    mainExpected = expected.slice(0, -1);
    mainObserved = observed.slice(0, -1);
  } else {
    expectedBins = bins;
    expectedTails = partition.tail_weights ? [...partition.tail_weights] : [tail / 2, tail / 2];
    combinedExpected = [expectedTails[0]!, ...expected, expectedTails[1]!];
    combinedObserved = [below, ...observed, above];
    observedTails = [below, above];
  }
  return {
    divergence: relativeEntropy(combinedObserved, combinedExpected),
    details: {
      observed_partition: { bins: expectedBins.map(edgeJson), weights: mainObserved, tail_weights: observedTails },
      expected_partition: { bins: expectedBins.map(edgeJson), weights: mainExpected, tail_weights: expectedTails },
    },
  };
}

const edgeJson = (e: number) => (e === Infinity ? 'Infinity' : e === -Infinity ? '-Infinity' : e);
