#!/usr/bin/env python3
"""bench/train.sh's PyTorch peer: the same MLP, data, preprocessing, epochs, batch size, optimizer and
thread count as the mlops spec it is compared with. Prints the test accuracy.

usage: train_peer.py TRAIN.csv TEST.csv TARGET HIDDEN(e.g. 64,32) EPOCHS BATCH LR THREADS SEED
"""
import sys

import pandas as pd
import torch

train_csv, test_csv, target, hidden, epochs, batch, lr, threads, seed = sys.argv[1:10]
hidden = [int(h) for h in hidden.split(",") if h]
epochs, batch, lr, threads, seed = int(epochs), int(batch), float(lr), int(threads), int(seed)
torch.set_num_threads(threads)
torch.manual_seed(seed)

train = pd.read_csv(train_csv)
test = pd.read_csv(test_csv)
features = [c for c in train.columns if c != target]
classes = sorted(train[target].unique())
index = {c: i for i, c in enumerate(classes)}
mean = train[features].mean()
std = train[features].std(ddof=0).replace(0, 1)
x = torch.tensor(((train[features] - mean) / std).values, dtype=torch.float32)
y = torch.tensor(train[target].map(index).values, dtype=torch.long)
xt = torch.tensor(((test[features] - mean) / std).values, dtype=torch.float32)
yt = torch.tensor(test[target].map(index).values, dtype=torch.long)

layers, width = [], x.shape[1]
for h in hidden:
    layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
    width = h
layers.append(torch.nn.Linear(width, len(classes)))
model = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=lr)
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(epochs):
    model.train()
    perm = torch.randperm(len(x))
    for start in range(0, len(x), batch):
        idx = perm[start:start + batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    # Validation every epoch, as mlops does (its history.csv).
    model.eval()
    with torch.no_grad():
        out = model(xt)
        val_loss = loss_fn(out, yt).item()
        val_acc = (out.argmax(1) == yt).float().mean().item()
model.eval()
with torch.no_grad():
    acc = (model(xt).argmax(1) == yt).float().mean().item()
torch.jit.script(model).save("peer_model.pt")  # mlops saves its model too
print("%.6f" % acc)
