"""Put another pack's two priors (diffusion.onnx, transformer.onnx) into a pack whose VQ-GAN they share, or
export one diffusion prior's checkpoint into it.

    /usr/bin/python3 -m models.training.swap_priors --from models/training/runs/priors2/pack --into models/default
    /usr/bin/python3 -m models.training.swap_priors --diffusion models/training/runs/diffusion3/diffusion_fp16.pt --into models/default

Both packs must have the same VQ-GAN (encoder.onnx and decoder.onnx byte-identical: the priors' codes mean
the same thing) and the same contract (a checkpoint: the pack's K, T and schedule); the manifest's sha256 entries and its `training.priors` note are
updated and the result is validated against models/pack.schema.json before it is written.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil

from .pack_schema import validate


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# The sampling defaults a manifest states: the destination's steps stay; the others move with the priors.
DEFAULTS = ("default_steps", "default_truncation", "default_top_k")


def swap(src: str, dst: str, note: dict) -> dict:
    ms, md = (json.load(open(os.path.join(p, "manifest.json"))) for p in (src, dst))
    for role in ("encoder", "decoder"):
        if ms["files"][role]["sha256"] != md["files"][role]["sha256"]:
            raise ValueError(f"{src} and {dst} have different {role}s: the priors' codes would not mean the same")
    for key in ("latent", "diffusion", "transformer"):
        if {k: v for k, v in ms[key].items() if k not in DEFAULTS} != {k: v for k, v in md[key].items() if k not in DEFAULTS}:
            raise ValueError(f"{src} and {dst} differ in {key}")
    # how the priors sample best goes with them (absent: the schema's defaults)
    for key, field in (("diffusion", "default_truncation"), ("transformer", "default_top_k")):
        if field in ms[key]:
            md[key][field] = ms[key][field]
        else:
            md[key].pop(field, None)
    for role in ("diffusion", "transformer"):
        shutil.copyfile(os.path.join(src, ms["files"][role]["path"]), os.path.join(dst, md["files"][role]["path"]))
        md["files"][role]["sha256"] = sha256(os.path.join(dst, md["files"][role]["path"]))
    md.setdefault("training", {})["priors"] = note
    write_manifest(dst, md)
    return md


def export_diffusion_into(ckpt: str, dst: str, note: dict) -> dict:
    """The diffusion prior of a stage checkpoint (`diffusion_fp16.pt`), exported as the pack's diffusion.onnx
    (fp16 weights, as the pack's others); the transformer stays."""
    from .common import load_fp16_model
    from .diffusion import DiffConfig, UNet
    from .export import export_diffusion, fp16_initializers
    md = json.load(open(os.path.join(dst, "manifest.json")))
    unet = load_fp16_model(ckpt, DiffConfig, UNet)
    c = unet.cfg
    if c.K != md["latent"]["codebook_size"] or c.T != md["diffusion"]["T"] or c.sched() != md["diffusion"]["schedule"]:
        raise ValueError(f"{ckpt} (K {c.K}, T {c.T}, {c.sched()}) does not match {dst}'s latent and diffusion sections")
    path = os.path.join(dst, md["files"]["diffusion"]["path"])
    tmp = path + ".tmp"
    export_diffusion(unet, tmp)
    fp16_initializers(tmp)
    md["files"]["diffusion"]["sha256"] = sha256(tmp)
    md.setdefault("training", {})["priors"] = note
    validate(md)  # before the pack's file is replaced: a refused manifest leaves the pack as it was
    os.replace(tmp, path)
    write_manifest(dst, md)
    return md


def write_manifest(dst: str, md: dict) -> None:
    """Validates `md` and writes it as `dst`/manifest.json through a temporary file."""
    validate(md)
    tmp = os.path.join(dst, "manifest.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(md, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, os.path.join(dst, "manifest.json"))


def main(argv=None):
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--from", dest="src", help="a pack: both its priors are copied")
    src.add_argument("--diffusion", help="a diffusion stage's diffusion_fp16.pt: exported as the pack's diffusion prior")
    ap.add_argument("--into", dest="dst", required=True)
    ap.add_argument("--note", default="", help="JSON object recorded as manifest.training.priors")
    a = ap.parse_args(argv)
    if a.diffusion:
        export_diffusion_into(a.diffusion, a.dst, json.loads(a.note) if a.note else {"diffusion": a.diffusion})
    else:
        swap(a.src, a.dst, json.loads(a.note) if a.note else {"from": a.src})


if __name__ == "__main__":
    main()
