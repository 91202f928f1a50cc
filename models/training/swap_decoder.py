"""Put a fine-tuned decoder (models/training/sharpen.py) into a pack whose encoder and codebook it shares.

    /usr/bin/python3 -m models.training.swap_decoder --vq models/training/runs/sharpen/vqgan_sharp_fp16.pt \\
        --into models/default --note '{"stage": "sharpen", "steps": 2400}'

The checkpoint's encoder and codebook must be the ones the pack's encoder.onnx holds (weights equal within
fp16 rounding), so every code, and so both priors, keeps its meaning. decoder.onnx is written with fp16 weights
(as the export writes packs), its sha256 updated, `training.decoder` recorded, and the manifest validated
against models/pack.schema.json before it is written (atomically).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np
import torch

from .encode import load_vq
from .export import DecoderOnnx, EncoderOnnx, export_onnx, fp16_initializers, sha256
from .pack_schema import specs, validate
from .swap_priors import write_manifest


def _weights(path: str) -> dict:
    import onnx
    from onnx import numpy_helper
    return {i.name.removesuffix("__fp16"): numpy_helper.to_array(i).astype(np.float32)
            for i in onnx.load(path).graph.initializer}


def encoder_mismatch(vq, encoder_onnx: str) -> str | None:
    """None when the pack's encoder graph holds vq's encoder and codebook (within fp16 rounding), else why not."""
    K = vq.cfg.K
    x = torch.rand(1, 3, 16 * vq.cfg.downsample, 16 * vq.cfg.downsample) * 2 - 1
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "encoder.onnx")
        export_onnx(EncoderOnnx(vq.cpu().float().eval()), (x,), path, *specs(K, 1, 1, 1)["encoder"])
        ours = _weights(path)
    theirs = _weights(encoder_onnx)
    for name, arr in ours.items():
        other = theirs.get(name)
        if other is None or other.shape != arr.shape:
            return f"the pack's encoder has no weight {name} of shape {list(arr.shape)}"
        if not np.allclose(arr, other, rtol=2e-3, atol=1e-4):
            return f"the pack's encoder weight {name} differs (max |diff| {np.abs(arr - other).max():.3g})"
    return None


def swap(vq_path: str, pack: str, note: dict) -> dict:
    manifest = json.load(open(os.path.join(pack, "manifest.json")))
    vq = load_vq(vq_path)
    if vq.cfg.K != manifest["latent"]["codebook_size"]:
        raise ValueError(f"{vq_path} has {vq.cfg.K} codes, the pack {manifest['latent']['codebook_size']}")
    why = encoder_mismatch(vq, os.path.join(pack, manifest["files"]["encoder"]["path"]))
    if why:
        raise ValueError(f"{vq_path} does not share the pack's encoder and codebook: {why}")
    g = manifest["latent"]["grid"]
    ins, outs = specs(vq.cfg.K, 1, 1, 1)["decoder"]
    dst = os.path.join(pack, manifest["files"]["decoder"]["path"])
    tmp = dst + ".tmp"
    export_onnx(DecoderOnnx(vq), (torch.randint(0, vq.cfg.K, (2, g, g)),), tmp, ins, outs)
    fp16_initializers(tmp)
    manifest["files"]["decoder"]["sha256"] = sha256(tmp)
    manifest.setdefault("training", {})["decoder"] = note
    validate(manifest)
    os.replace(tmp, dst)
    write_manifest(pack, manifest)
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--vq", required=True, help="VQ-GAN checkpoint with the new decoder ({cfg, model}, fp16)")
    ap.add_argument("--into", required=True, help="the pack folder")
    ap.add_argument("--note", default="", help="JSON object recorded as manifest.training.decoder")
    a = ap.parse_args(argv)
    swap(a.vq, a.into, json.loads(a.note) if a.note else {"from": a.vq})


if __name__ == "__main__":
    main()
