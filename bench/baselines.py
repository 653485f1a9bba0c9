#!/usr/bin/env python3
"""bench/train.sh: scikit-learn baselines on the same splits as the examples.
usage: baselines.py TRAIN.csv TEST.csv TARGET logreg|mlp  -> prints the test accuracy"""
import sys

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train_csv, test_csv, target, kind = sys.argv[1:5]
train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
features = [c for c in train.columns if c != target]
if kind == "logreg":
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
else:
    model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=1000, random_state=0))
model.fit(train[features], train[target])
print("%.6f" % model.score(test[features], test[target]))
