#!/usr/bin/python3
"""The drift tests of `mlops drift`, done with pandas and scipy the way Evidently does them.

Two uses:
  drift_reference.py REF.csv CUR.csv [--method NAME]
      the peer in bench/drift.sh: reads both files with pandas, runs the default test of every
      column (or NAME where it applies) and prints one JSON line per column;
  drift_reference.py REF.csv CUR.csv [--method NAME] --compare MLOPS.json
      tests/e2e/drift_test.sh: recomputes every score and statistic of an `mlops --json drift`
      report and fails when one differs by more than 1e-9 relative.
Run it with Debian's /usr/bin/python3 (python3-scipy 1.10, python3-pandas).
"""
import argparse
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

P_VALUE = {"ks", "chisquare", "z", "anderson", "cramer_von_mises"}
THRESHOLD = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1,
             "psi": 0.1, "kl_div": 0.1, "hellinger": 0.1, "anderson": 0.1, "cramer_von_mises": 0.1}
NUMBERS_ONLY = {"ks", "wasserstein", "anderson", "cramer_von_mises"}


def default_method(ref_rows, numeric, n_values):
    if ref_rows <= 1000:
        if numeric and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if numeric and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def keyed_counts(r, c):
    keys = sorted(set(r.unique()) | set(c.unique()))
    rc, cc = r.value_counts(), c.value_counts()
    return keys, np.array([rc.get(k, 0) for k in keys], float), np.array([cc.get(k, 0) for k in keys], float)


def fill_zeroes(p):
    nz = p[p != 0]
    if len(nz):
        m = nz.min()
        np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)


def binned(r, c, numeric, fill):
    # Evidently's get_binned_data
    if numeric and r.nunique() > 20:
        bins = np.histogram_bin_edges(pd.concat([r, c], axis=0).values, bins=30)
        rp = np.histogram(r, bins)[0] / len(r)
        cp = np.histogram(c, bins)[0] / len(c)
    else:
        _, rk, ck = keyed_counts(r, c)
        rp, cp = rk / len(r), ck / len(c)
    if fill:
        fill_zeroes(rp)
        fill_zeroes(cp)
    return rp, cp


def run(method, r, c, numeric):
    """(score, statistic): the p-value or distance, and the test statistic."""
    if method == "ks":
        res = stats.ks_2samp(r, c)
        return res.pvalue, res.statistic
    if method == "wasserstein":
        d = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
        return d, d
    if method == "anderson":
        res = stats.anderson_ksamp([r.values, c.values])
        return res.significance_level, res.statistic
    if method == "cramer_von_mises":
        res = stats.cramervonmises_2samp(r, c)
        return res.pvalue, res.statistic
    if method == "chisquare":
        _, rk, ck = keyed_counts(r, c)
        res = stats.chisquare(ck, rk * (len(c) / len(r)))
        return res.pvalue, res.statistic
    if method == "z":
        keys, rk, ck = keyed_counts(r, c)
        if len(keys) == 1:
            return 1.0, 0.0
        n1, n2 = len(r), len(c)
        p1, p2 = rk[0] / n1, ck[0] / n2
        P = (p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        return 2 * (1 - stats.norm.cdf(np.abs(z))), z
    if method == "jensenshannon":
        rp, cp = binned(r, c, numeric, True)
        d = distance.jensenshannon(rp, cp)
        return d, d
    if method == "psi":
        rp, cp = binned(r, c, numeric, True)
        d = np.sum((rp - cp) * np.log(rp / cp))
        return d, d
    if method == "kl_div":
        rp, cp = binned(r, c, numeric, True)
        d = stats.entropy(rp, cp)
        return d, d
    if method == "hellinger":
        rp, cp = binned(r, c, numeric, False)
        d = np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / np.sqrt(2)
        return d, d
    raise ValueError(method)


def analyze(ref, cur, method=None):
    out = {}
    for col in ref.columns:
        if col not in cur.columns:
            continue
        numeric = pd.api.types.is_numeric_dtype(ref[col]) and pd.api.types.is_numeric_dtype(cur[col])
        r, c = ref[col].dropna(), cur[col].dropna()
        if not numeric:
            r, c = r.astype(str), c.astype(str)
        if len(r) == 0 or len(c) == 0:
            continue
        n_values = pd.concat([r, c]).nunique()
        if n_values == 1:
            continue
        m = default_method(len(ref), numeric, n_values)
        if method and not (method in NUMBERS_ONLY and not numeric) and not (method == "z" and n_values > 2):
            m = method
        score, statistic = run(m, r, c, numeric)
        drifted = score < THRESHOLD[m] if m in P_VALUE else score >= THRESHOLD[m]
        out[col] = {"test": m, "score": float(score), "statistic": float(statistic), "drifted": bool(drifted)}
    return out


def close(a, b, rtol, atol=0.0):
    # JSON has no infinity: mlops writes null for a non-finite number (a chi-square statistic with a
    # category the reference never had).
    if a is None or b is None:
        other = b if a is None else a
        return other is None or math.isinf(other)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(rtol * max(abs(a), abs(b)), atol)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--method")
    ap.add_argument("--compare")
    ap.add_argument("--rtol", type=float, default=1e-9)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    ref, cur = pd.read_csv(a.reference), pd.read_csv(a.current)
    result = analyze(ref, cur, a.method)
    if not a.compare:
        drifted = sum(v["drifted"] for v in result.values())
        print(json.dumps({"columns": result, "drifted": drifted, "share": drifted / max(len(result), 1)}))
        return 0
    with open(a.compare) as f:
        report = json.load(f)
    bad = 0
    checked = 0
    for col in report["columns"]:
        name = col["name"]
        if col["test"] == "none":
            if name in result:
                print(f"{name}: mlops ran no test, scipy ran {result[name]['test']}")
                bad += 1
            continue
        want = result.get(name)
        if want is None or want["test"] != col["test"]:
            print(f"{name}: mlops ran {col['test']}, the reference {want and want['test']}")
            bad += 1
            continue
        # The Cramer-von Mises asymptotic p-value is 1 - cdf: at p ~ 1e-9 the last bits of the cdf
        # (1e-16) decide the relative difference, so it also passes within 1e-13 absolute.
        atol = 1e-13 if col["test"] == "cramer_von_mises" else 0.0
        stat_mlops = col["statistic"]
        stat_ref = want["statistic"]
        if col["test"] == "z":  # the sign depends on which of the two values is counted
            stat_mlops, stat_ref = abs(stat_mlops), abs(stat_ref)
        for what, x, y in (("score", col["score"], want["score"]), ("statistic", stat_mlops, stat_ref)):
            checked += 1
            if not close(x, y, a.rtol, atol):
                print(f"{name} ({col['test']}): {what} mlops {x!r} scipy {y!r}")
                bad += 1
        if col["drifted"] != want["drifted"]:
            print(f"{name} ({col['test']}): verdict differs")
            bad += 1
    print(f"{checked} values compared, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
