"""Shared helpers: device choice, threads, resumable checkpoints, JSON-lines logs, fp16 state dicts, configs.
The training loop itself is in loop.py."""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, fields

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = os.path.join(HERE, "runs")


def pick_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup_threads(n: int) -> None:
    if n > 0:
        torch.set_num_threads(n)


def save_ckpt(path: str, **state) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a kill mid-save never corrupts the last checkpoint


def load_ckpt(path: str, device="cpu"):
    return torch.load(path, map_location=device) if os.path.exists(path) else None


def fp16_state(model: torch.nn.Module) -> dict:
    return {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}


def load_fp16_state(model: torch.nn.Module, sd: dict) -> None:
    ref = model.state_dict()
    model.load_state_dict({k: v.to(ref[k].dtype) for k, v in sd.items()})


class Log:
    """Appends one JSON object per line; read back for loss curves in the report."""

    def __init__(self, path: str):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path

    def __call__(self, **row) -> None:
        row.setdefault("time", time.time())
        with open(self.path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                       if k != "time"), flush=True)

    def rows(self) -> list[dict]:
        if not os.path.exists(self.path):
            return []
        return [json.loads(l) for l in open(self.path) if l.strip()]


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def config_from(cls, d: dict):
    """A stage's dataclass config from a checkpoint's saved dict (lists back to tuples). Keys the class no
    longer has are dropped and fields it has gained take their defaults, so older checkpoints still load."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names})


def load_fp16_model(path: str, cfg_cls, build, key: str = "cfg", device="cpu") -> torch.nn.Module:
    """A network from its compact fp16 file ({key: config dict, "model": fp16 state dict}, as the stages'
    `*_fp16.pt`): `build(config)` makes the module, which comes back in eval mode on `device`."""
    d = torch.load(path, map_location="cpu")
    m = build(config_from(cfg_cls, d[key]))
    load_fp16_state(m, d["model"])
    return m.to(device).eval()


def parse_config(cls, argv=None):
    """A stage's dataclass config from the command line: one --flag per scalar field (bools take 1/true/yes)."""
    ap = argparse.ArgumentParser()
    for k, v in asdict(cls()).items():
        if isinstance(v, bool):
            ap.add_argument("--" + k, type=lambda s: s.lower() in ("1", "true", "yes"), default=v)
        elif isinstance(v, (int, float, str)):
            ap.add_argument("--" + k, type=type(v), default=v)
    return cls(**vars(ap.parse_args(argv)))


def load_onnx_weights(model: torch.nn.Module, onnx_path: str, export_fn) -> int:
    """Warm start: copy the weights of an exported graph (a pack's ONNX file) back into `model`.

    Named initializers are `<wrapper attr>.<param>` (+ `__fp16` when stored halved); the exporter renames
    some, e.g. a Linear's weight folded into a MatMul becomes `onnx::MatMul_<n>`, transposed. To map those,
    `model` (freshly initialised, so its weights are distinct random values) is exported by `export_fn(model,
    path)` with the same code, and each anonymous initializer is matched to the parameter holding the same
    values (every parameter is first set to distinct random values, so e.g. norm weights of all ones stay
    apart; all of them are overwritten). Returns the number of tensors loaded; raises if any parameter stays unmatched."""
    import tempfile

    import numpy as np
    import onnx
    from onnx import numpy_helper

    def inits(path):
        return {i.name.removesuffix("__fp16"): numpy_helper.to_array(i).astype(np.float32)
                for i in onnx.load(path).graph.initializer}

    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    params = {k: v.detach().cpu().float().numpy() for k, v in model.named_parameters()}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fresh.onnx")
        export_fn(model, path)
        fresh = inits(path)
    source = inits(onnx_path)
    new, used = {}, set()
    for name, arr in fresh.items():
        hit = name.split(".", 1)[-1] if name.split(".", 1)[-1] in params else None
        transposed = False
        if hit is None:  # anonymous: find it by value
            for k, p in params.items():
                if p.size == arr.size and np.array_equal(p.ravel(), arr.ravel()):  # maybe reshaped, e.g. [C, 1, 1]
                    hit = k; break
                if p.ndim == 2 and p.T.shape == arr.shape and np.array_equal(p.T, arr):
                    hit, transposed = k, True; break
        if hit is None or name not in source:
            continue
        val = source[name].T if transposed else source[name]
        new[hit] = torch.from_numpy(np.ascontiguousarray(val)).reshape(params[hit].shape)
        used.add(hit)
    missing = [k for k in params if k not in used]
    if missing:
        raise ValueError(f"{onnx_path}: no weights found for {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    ref = model.state_dict()
    model.load_state_dict({**ref, **{k: v.to(ref[k].dtype) for k, v in new.items()}})
    return len(new)
