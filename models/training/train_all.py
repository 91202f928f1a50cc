"""Every stage, back to back, then export a pack the app can load.

    npm run train -- --images DIR --out models/my-pack            # or:
    /usr/bin/python3 -m models.training.train_all --images DIR --out models/my-pack [--work DIR] [--scale 1.0]

Settings follow the device: on CUDA larger batches and more steps, on CPU the step counts that fit the
shipped pack's budgets. Every stage resumes from its checkpoint under --work, so rerunning the command
continues (the learning rate follows steps, so a resumed stage continues the same schedule).
--scale multiplies every stage's steps (0.05 for a smoke run).
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from . import diffusion as DF
from . import encode as EN
from . import export as EX
from . import refit as RF
from . import transformer as TF
from . import vqgan as VQ
from .common import RUNS, pick_device

# Per stage and device kind: (steps, batch, minutes). Steps set the learning-rate schedule (models/training/
# loop.py); minutes only stop a run that is much slower than planned (rerunning continues where it stopped).
# CPU steps come from the step rates logged on 2 shared cores: the shipped pack (models/default/REPORT.md)
# VQ-GAN 1372 steps of 16 crops in 50.1 min (~27/min), ReFiT's fine-tune 156 steps in ~7 min (~22/min),
# diffusion 37712 grids = 1450 steps (every 4th of 8 32x32 grids) in 25.4 min (~57/min), transformer 200 steps
# in 21.3 min (~9.4/min); a later run of this plan's priors (big_every 3, huge_every 4, window_every 2)
# diffusion 2120 steps in 35 min (~60/min), transformer ~5.3 steps/min. So about 50, 7, 35 and 35 minutes,
# with minute limits at about twice those times. The CUDA steps are estimates, not measured on a GPU
# (see models/README.md); its limits are the earlier 90/15-minute budgets with room to spare.
PLANS = {
    "cpu": {"vqgan": (1400, 16, 100), "refit": (160, 16, 15), "diffusion": (2000, 32, 70), "transformer": (260, 32, 70),
            "n16": 40000, "n32": 4000, "n64": 2000, "threads": 2},
    "cuda": {"vqgan": (30000, 64, 120), "refit": (3000, 64, 20), "diffusion": (50000, 128, 120),
             "transformer": (50000, 128, 120), "n16": 400000, "n32": 40000, "n64": 20000, "threads": 0},
}


def run(images: str, out: str, work: str, scale: float = 1.0, name: str = "my-pack", T: int = 200,
        skip: tuple = (), vq: str = "", init_pack: str = "") -> dict:
    """vq: an existing VQ-GAN checkpoint (stages 1-2 are then skipped); init_pack: a pack whose two priors
    are the starting point (fine-tuning on the present data at a lower learning rate)."""
    dev = pick_device()
    plan = PLANS["cuda" if dev.type == "cuda" else "cpu"]
    steps = lambda k: max(1, round(plan[k][0] * scale))
    mins = lambda k: plan[k][2] * max(scale, 0.1)  # a safety stop: not scaled down as far as the steps
    th = plan["threads"]
    times = {}
    t = time.time()
    if vq:
        skip = (*skip, "vqgan", "refit")
    warm = {r: os.path.join(init_pack, f"{r}.onnx") if init_pack else "" for r in ("diffusion", "transformer")}
    lr = 2e-4 if init_pack else 5e-4
    if "vqgan" not in skip:
        VQ.train(VQ.VQConfig(steps=steps("vqgan"), minutes=mins("vqgan"), batch=plan["vqgan"][1],
                             out=os.path.join(work, "vqgan"), images=images, threads=th))
    times["vqgan"] = (time.time() - t) / 60; t = time.time()
    if "refit" not in skip:
        _, rm = RF.refit(RF.RefitConfig(steps=steps("refit"), minutes=mins("refit"), batch=plan["refit"][1],
                                        threads=th, images=images, vq_ckpt=os.path.join(work, "vqgan", "ckpt.pt"),
                                        out=os.path.join(work, "refit"), P=20000 if scale >= 0.5 else 2000))
    times["refit"] = (time.time() - t) / 60; t = time.time()
    vq_path = vq or os.path.join(work, "refit", "vqgan_refit_fp16.pt")
    grids = os.path.join(work, "grids.pt")
    if "encode" not in skip and not os.path.exists(grids):  # a resumed run keeps its grids
        n16 = max(256, int(plan["n16"] * min(1.0, scale)))
        EN.main(["--vq", vq_path, "--out", grids, "--images", images, "--threads", str(th),
                 "--n16", str(n16), "--n32", str(max(16, int(plan["n32"] * min(1.0, scale)))),
                 "--n64", str(max(8, int(plan["n64"] * min(1.0, scale)))),
                 "--nval", str(min(1024, n16 // 4))])
    times["encode"] = (time.time() - t) / 60; t = time.time()
    K = VQ.VQConfig().K
    if "diffusion" not in skip:
        DF.train(DF.DiffConfig(K=K, T=T, steps=steps("diffusion"), minutes=mins("diffusion"),
                               batch=plan["diffusion"][1], grids=grids, out=os.path.join(work, "diffusion"), threads=th,
                               big_every=3, huge_every=4, lr=lr, init_onnx=warm["diffusion"]))
    times["diffusion"] = (time.time() - t) / 60; t = time.time()
    if "transformer" not in skip:
        TF.train(TF.GPTConfig(K=K, steps=steps("transformer"), minutes=mins("transformer"),
                              batch=plan["transformer"][1], grids=grids, out=os.path.join(work, "transformer"),
                              threads=th, window_every=2, lr=lr, init_onnx=warm["transformer"]))
    times["transformer"] = (time.time() - t) / 60
    vq, unet, gpt = EX.load_models(vq_path, os.path.join(work, "diffusion", "diffusion_fp16.pt"),
                                   os.path.join(work, "transformer", "transformer_fp16.pt"))
    training = {"device": str(dev), "minutes": times, "images": images, "plan": plan, "scale": scale,
                "vq": vq_path, "init_pack": init_pack}
    m = EX.export_pack(out, vq, unet, gpt, name=name, description=f"trained on {images or 'photos.tsv'}",
                       training=training, default_steps=10, fp16_weights=True)
    with open(os.path.join(out, "REPORT.md"), "w") as fh:
        fh.write(f"# {name}\n\nTrained by `models/training/train_all.py` on {images} ({dev}).\n\n"
                 f"```json\n{json.dumps(training, indent=2)}\n```\n")
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="", help="folder of photos (default: the shipped pack's photos.tsv)")
    ap.add_argument("--out", default="models/my-pack")
    ap.add_argument("--work", default="", help="checkpoints and logs (default models/training/runs/<pack name>)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every stage's steps")
    ap.add_argument("--T", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated stages already done")
    ap.add_argument("--vq", default="", help="an existing VQ-GAN checkpoint: skip stages 1-2")
    ap.add_argument("--init_pack", default="", help="fine-tune the priors of this pack instead of starting afresh")
    a = ap.parse_args(argv)
    name = os.path.basename(os.path.normpath(a.out))
    work = a.work or os.path.join(RUNS, name)
    run(a.images, a.out, work, a.scale, name, a.T, tuple(s for s in a.skip.split(",") if s), a.vq, a.init_pack)


if __name__ == "__main__":
    main()
