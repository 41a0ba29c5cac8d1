"""The SciPy side of bench/monitoring.ts: the same columns (raw float64 / int32 files the benchmark
wrote) through Evidently's default large-reference tests as Evidently runs them, with SciPy and NumPy:
normed Wasserstein for numeric columns, Jensen–Shannon over value shares for categorical ones.
Prints JSON: wall and CPU seconds and peak RSS."""
import json
import resource
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance

folder, numeric, categorical = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
cpu_start = time.process_time()
scores = {}
for i in range(numeric):
    ref = np.fromfile(f"{folder}/ref-n{i}.f64")
    cur = np.fromfile(f"{folder}/cur-n{i}.f64")
    scores[f"n{i}"] = float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
for i in range(categorical):
    ref = np.fromfile(f"{folder}/ref-c{i}.i32", dtype=np.int32)
    cur = np.fromfile(f"{folder}/cur-c{i}.i32", dtype=np.int32)
    keys = np.union1d(np.unique(ref), np.unique(cur))
    rp = np.array([np.sum(ref == k) for k in keys]) / len(ref)
    cp = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    scores[f"c{i}"] = float(distance.jensenshannon(rp, cp))
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "scores": scores}))
