"""Make models/tiny: a pack with random weights and tiny widths, for the engine's fast tests.

    /usr/bin/python3 -m models.training.make_tiny_pack [--out models/tiny]

Deterministic (fixed seed) apart from ONNX serialisation details of the installed torch version.
"""
from __future__ import annotations

import argparse
import os

import torch

from .diffusion import DiffConfig, UNet
from .export import export_pack
from .guided import GuidedDecoder
from .transformer import GPT, GPTConfig
from .vqgan import VQConfig, VQGAN

K, T, GRID = 64, 20, 16


def tiny_models(seed: int = 0):
    torch.manual_seed(seed)
    vq = VQGAN(VQConfig(ch=8, ch_mult=(1, 1, 2), num_res=1, code_dim=8, K=K))
    unet = UNet(DiffConfig(K=K, T=T, ch=16, ch_mult=(1, 2), num_res=1, emb_dim=16))
    gpt = GPT(GPTConfig(K=K, grid=GRID, layers=2, heads=2, head_dim=16))
    guided = GuidedDecoder.from_vq(vq)
    torch.nn.init.normal_(guided.refine.out.weight, std=0.05)  # non-zero, so the refinement is exercised
    return vq, unet, gpt, guided


REPORT = """# tiny pack (random weights)

This pack has **random, untrained weights** and tiny widths. It exists so the engine's tests can load a real
pack and run every network in milliseconds; its fills are noise. Made by `models/training/make_tiny_pack.py`
(seed 0): K = {K}, grid {GRID} (grids 16 and 32 accepted), T = {T}, VQ-GAN width 8, UNet width 16,
transformer 2 layers x 2 heads x 16, guided decoder on the VQ-GAN's decoder. Same tensor contract as every pack (models/README.md).
"""


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tiny"))
    a = ap.parse_args(argv)
    vq, unet, gpt, guided = tiny_models()
    export_pack(a.out, vq, unet, gpt, guided=guided, name="tiny", description="random weights, for tests only",
                grids=(16, 32), default_steps=10,
                training={"note": "random weights (untrained)", "seed": 0, "script": "models/training/make_tiny_pack.py"})
    with open(os.path.join(a.out, "REPORT.md"), "w") as fh:
        fh.write(REPORT.format(K=K, GRID=GRID, T=T))
    print("wrote", os.path.abspath(a.out))


if __name__ == "__main__":
    main()
