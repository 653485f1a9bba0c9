#!/usr/bin/env python3
"""Seeded train/test split of a CSV file (the prepare stage of the examples; Python stdlib only).

usage: split.py IN.csv OUT_DIR [--test 0.25] [--seed 42] [--stratify COLUMN]
Writes OUT_DIR/train.csv and OUT_DIR/test.csv; the same arguments give the same files.
"""
import argparse
import csv
import os
import random

ap = argparse.ArgumentParser()
ap.add_argument("input")
ap.add_argument("out_dir")
ap.add_argument("--test", type=float, default=0.25)
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--stratify", default=None)
a = ap.parse_args()

with open(a.input, newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], [r for r in rows[1:] if r]
rng = random.Random(a.seed)
groups = {}
key = header.index(a.stratify) if a.stratify else None
for i, r in enumerate(rows):
    groups.setdefault(r[key] if key is not None else "", []).append(i)
test = set()
for g in sorted(groups):
    idx = groups[g]
    rng.shuffle(idx)
    test.update(idx[: round(len(idx) * a.test)])
os.makedirs(a.out_dir, exist_ok=True)
for name, keep in (("train", lambda i: i not in test), ("test", lambda i: i in test)):
    with open(os.path.join(a.out_dir, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(r for i, r in enumerate(rows) if keep(i))
