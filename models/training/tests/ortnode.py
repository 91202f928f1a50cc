"""Run an ONNX model in onnxruntime-node (the engine's runtime) through models/training/ort_run.mjs."""
import json
import os
import subprocess
import tempfile

import numpy as np

RUNNER = os.path.join(os.path.dirname(__file__), "..", "ort_run.mjs")


def run(model_path: str, feeds: dict) -> dict:
    """feeds: name -> numpy array (float32 or int64). Returns name -> numpy array."""
    spec = {k: {"dtype": "int64" if v.dtype == np.int64 else "float32", "dims": list(v.shape),
                "data": v.reshape(-1).tolist()} for k, v in feeds.items()}
    with tempfile.TemporaryDirectory() as d:
        ip, op = os.path.join(d, "in.json"), os.path.join(d, "out.json")
        with open(ip, "w") as fh:
            json.dump(spec, fh)
        subprocess.run(["node", RUNNER, model_path, ip, op], check=True, timeout=120)
        out = json.load(open(op))
    return {k: np.asarray(v["data"], dtype=np.int64 if v["dtype"] == "int64" else np.float32).reshape(v["dims"])
            for k, v in out.items()}
