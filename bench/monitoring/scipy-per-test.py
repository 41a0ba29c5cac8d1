"""The SciPy side of bench/monitoring.ts's per-test comparison: each drift test as Evidently calls it, with
SciPy and NumPy, on the raw columns the benchmark wrote (float64 / int32 files). CPU time per test is the
best of five runs (time.process_time). Prints JSON: {test: {cpuSeconds, score}}."""
import json
import sys
import time
import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

warnings.filterwarnings("ignore")
folder = sys.argv[1]
ref = np.fromfile(f"{folder}/ref-n0.f64")
cur = np.fromfile(f"{folder}/cur-n0.f64")
ref_c = np.fromfile(f"{folder}/ref-c0.i32", dtype=np.int32)
cur_c = np.fromfile(f"{folder}/cur-c0.i32", dtype=np.int32)
ref_b = ref_c % 2
cur_b = cur_c % 2


def binned(r, c, fill):
    # Evidently's get_binned_data: Sturges bins over both samples when the reference has > 20 distinct values.
    if len(np.unique(r)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges")
        rp = np.histogram(r, bins)[0] / len(r)
        cp = np.histogram(c, bins)[0] / len(c)
    else:
        keys = np.union1d(np.unique(r), np.unique(c))
        rp = np.array([np.sum(r == k) for k in keys]) / len(r)
        cp = np.array([np.sum(c == k) for k in keys]) / len(c)
    if fill:
        for p in (rp, cp):
            smallest = np.min(p[p != 0])
            np.place(p, p == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return rp, cp


def counts(r, c):
    keys = np.union1d(np.unique(r), np.unique(c))
    rk, rn = np.unique(r, return_counts=True)
    ck, cn = np.unique(c, return_counts=True)
    rd = dict(zip(rk.tolist(), rn.tolist()))
    cd = dict(zip(ck.tolist(), cn.tolist()))
    return keys, np.array([rd.get(k, 0) for k in keys.tolist()], dtype=float), np.array([cd.get(k, 0) for k in keys.tolist()], dtype=float)


def chisquare():
    keys, rn, cn = counts(ref_c, cur_c)
    return stats.chisquare(cn, rn * (cn.sum() / rn.sum()))[1]


def ztest():
    keys, rn, cn = counts(ref_b, cur_b)
    p1, p2 = rn[0] / rn.sum(), cn[0] / cn.sum()
    p = (rn[0] + cn[0]) / (rn.sum() + cn.sum())
    z = (p1 - p2) / np.sqrt(p * (1 - p) * (1 / rn.sum() + 1 / cn.sum()))
    return 2 * stats.norm.sf(abs(z))


def hellinger():
    bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    w = np.diff(bins)
    p = np.histogram(ref, bins=bins, density=True)[0] * w
    q = np.histogram(cur, bins=bins, density=True)[0] * w
    return np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)) / np.sqrt(2)


tests = {
    "ks": lambda: stats.ks_2samp(ref, cur)[1],
    "wasserstein": lambda: stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001),
    "anderson": lambda: stats.anderson_ksamp([ref, cur]).pvalue,
    "cramer_von_mises": lambda: stats.cramervonmises_2samp(ref, cur).pvalue,
    "jensenshannon": lambda: distance.jensenshannon(*binned(ref, cur, False)),
    "psi": lambda: float(np.sum([(c - r) * np.log(c / r) for r, c in zip(*binned(ref, cur, True))])),
    "kl_div": lambda: stats.entropy(*binned(ref, cur, True)),
    "hellinger": hellinger,
    "chisquare": chisquare,
    "z": ztest,
}
only = sys.argv[2].split(",") if len(sys.argv) > 2 else list(tests)
out = {}
for name in only:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        score = float(tests[name]())
        best = min(best, time.process_time() - start)
    out[name] = {"cpuSeconds": best, "score": score}
print(json.dumps(out))
