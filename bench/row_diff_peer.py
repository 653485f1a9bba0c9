#!/usr/bin/env python3
"""row_diff_peer.py OLD NEW KEY: the row diff `mlops diff --rows --key KEY` computes, with pandas:
an outer merge on the key, then the shared columns compared. Prints the counts as JSON."""
import json
import sys

import pandas as pd

old_path, new_path, key = sys.argv[1:4]
a = pd.read_csv(old_path, dtype=str, keep_default_na=False)
b = pd.read_csv(new_path, dtype=str, keep_default_na=False)
shared = [c for c in a.columns if c in b.columns]
m = a[shared].merge(b[shared], on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
both = m[m["_merge"] == "both"]
diff = pd.Series(False, index=both.index)
cells = 0
for c in shared:
    if c == key:
        continue
    d = both[c + "_old"] != both[c + "_new"]
    cells += int(d.sum())
    diff |= d
print(json.dumps({"added": int((m["_merge"] == "right_only").sum()), "removed": int((m["_merge"] == "left_only").sum()),
                  "changed": int(diff.sum()), "changed_cells": cells}))
