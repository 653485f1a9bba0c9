"""The peer of `mlops serve` in bench/serve.sh: the same scoring API in Flask with PyTorch (Debian
python3-flask, python3-torch, the same LibTorch 1.13). It does what mlops does per request: parse the
JSON, check the columns against the bundle's signature, standardize with the bundle's statistics, run
the same TorchScript module (one intra-op thread, like mlops serve) and answer the class labels.
usage: serve_peer.py BUNDLE_DIR PORT"""
import json
import math
import sys

import torch
from flask import Flask, jsonify, request

bundle, port = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
manifest = json.load(open(bundle + "/manifest.json"))
pre = manifest["preprocessing"]
features = [f["name"] for f in pre["features"]]
center = torch.tensor(pre["center"], dtype=torch.float64)
scale = torch.tensor(pre["scale"], dtype=torch.float64)
classes = manifest["target"]["classes"]
module = torch.jit.load(bundle + "/model.pt")
module.eval()
app = Flask(__name__)


def rows_of(doc):
    if "dataframe_split" in doc:
        cols = doc["dataframe_split"]["columns"]
        return [dict(zip(cols, r)) for r in doc["dataframe_split"]["data"]]
    for key in ("dataframe_records", "instances", "inputs"):
        if key in doc:
            return doc[key]
    raise ValueError("none of dataframe_split, dataframe_records, instances, inputs")


@app.post("/invocations")
def invocations():
    if request.mimetype != "application/json":
        return jsonify(error="unsupported content type"), 415
    try:
        rows = rows_of(request.get_json())
        x = []
        for i, r in enumerate(rows):
            missing = [f for f in features if f not in r]
            if missing:
                return jsonify(error="row %d: missing column %s" % (i + 1, missing[0])), 400
            v = [r[f] for f in features]
            if any(not isinstance(a, (int, float)) or isinstance(a, bool) or math.isnan(a) for a in v):
                return jsonify(error="row %d: bad value" % (i + 1)), 400
            x.append(v)
    except Exception as e:  # malformed JSON and the like
        return jsonify(error=str(e)), 400
    with torch.inference_mode():
        t = ((torch.tensor(x, dtype=torch.float64) - center) / scale).to(torch.float32)
        p = module(t)
    return jsonify(predictions=[classes[i] for i in p.argmax(dim=1).tolist()])


@app.get("/health")
def health():
    return jsonify(status="ok")


app.run(host="127.0.0.1", port=port, threaded=True)
