"""swap_priors: another pack's priors go in only where the VQ-GAN is the same, and the manifest stays valid."""
import json
import os
import shutil
from dataclasses import asdict

import pytest
import torch

from models.training.common import fp16_state
from models.training.diffusion import DiffConfig, UNet
from models.training.export import DiffusionOnnx
from models.training.make_tiny_pack import tiny_models
from models.training.pack_schema import validate
from models.training.swap_priors import export_diffusion_into, sha256, swap
from models.training.tests.ortnode import run as ort_run

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "tiny")


def copy(tmp_path, name):
    dst = tmp_path / name
    shutil.copytree(TINY, dst)
    return str(dst)


def test_swaps_both_priors_and_updates_the_manifest(tmp_path):
    src, dst = copy(tmp_path, "src"), copy(tmp_path, "dst")
    with open(os.path.join(src, "diffusion.onnx"), "ab") as fh:
        fh.write(b"\0")  # a different file, same role
    m = json.load(open(os.path.join(src, "manifest.json")))
    m["files"]["diffusion"]["sha256"] = sha256(os.path.join(src, "diffusion.onnx"))
    json.dump(m, open(os.path.join(src, "manifest.json"), "w"))
    out = swap(src, dst, {"from": "test"})
    assert out["files"]["diffusion"]["sha256"] == sha256(os.path.join(dst, "diffusion.onnx")) == m["files"]["diffusion"]["sha256"]
    assert json.load(open(os.path.join(dst, "manifest.json")))["training"]["priors"] == {"from": "test"}


def test_refuses_priors_of_another_vqgan(tmp_path):
    src, dst = copy(tmp_path, "src"), copy(tmp_path, "dst")
    m = json.load(open(os.path.join(src, "manifest.json")))
    m["files"]["encoder"]["sha256"] = "0" * 64
    json.dump(m, open(os.path.join(src, "manifest.json"), "w"))
    before = open(os.path.join(dst, "diffusion.onnx"), "rb").read()
    with pytest.raises(ValueError, match="different encoders"):
        swap(src, dst, {})
    assert open(os.path.join(dst, "diffusion.onnx"), "rb").read() == before


def diffusion_checkpoint(tmp_path, unet, name="diffusion_fp16.pt"):
    path = str(tmp_path / name)
    torch.save({"cfg": asdict(unet.cfg), "model": fp16_state(unet)}, path)
    return path


def test_exports_a_diffusion_checkpoint_into_the_pack(tmp_path):
    dst = copy(tmp_path, "dst")
    unet = tiny_models()[1]
    with torch.no_grad():
        for p in unet.parameters():
            p.add_(0.01)  # "trained further"
    transformer = open(os.path.join(dst, "transformer.onnx"), "rb").read()
    out = export_diffusion_into(diffusion_checkpoint(tmp_path, unet), dst, {"diffusion": "test"})
    validate(out)
    assert out["files"]["diffusion"]["sha256"] == sha256(os.path.join(dst, "diffusion.onnx"))
    assert open(os.path.join(dst, "transformer.onnx"), "rb").read() == transformer
    assert not [f for f in os.listdir(dst) if f.endswith(".tmp")]
    # the pack's graph computes what the checkpoint's network computes
    codes = torch.randint(0, unet.cfg.K, (1, 16, 16))
    t = torch.tensor([7])
    got = ort_run(os.path.join(dst, "diffusion.onnx"), {"z_t": codes.numpy(), "t": t.numpy()})["log_p0"]
    with torch.no_grad():
        want = DiffusionOnnx(unet.float().eval())(codes, t).numpy()
    assert abs(got - want).max() < 1e-2


def test_refuses_a_diffusion_checkpoint_of_another_codebook(tmp_path):
    dst = copy(tmp_path, "dst")
    unet = tiny_models()[1]
    other = UNet(DiffConfig(**{**asdict(unet.cfg), "K": unet.cfg.K * 2}))
    before = open(os.path.join(dst, "diffusion.onnx"), "rb").read()
    with pytest.raises(ValueError, match="does not match"):
        export_diffusion_into(diffusion_checkpoint(tmp_path, other), dst, {})
    assert open(os.path.join(dst, "diffusion.onnx"), "rb").read() == before


def test_sampling_defaults_move_with_the_priors_and_are_validated(tmp_path):
    from models.training.sampling_defaults import set_sampling
    src, dst = copy(tmp_path, "src"), copy(tmp_path, "dst")
    m = set_sampling(src, 0.3, 5, {"chosen_on": "test"})
    assert (m["diffusion"]["default_truncation"], m["transformer"]["default_top_k"]) == (0.3, 5)
    assert json.load(open(os.path.join(src, "manifest.json")))["training"]["sampling"] == {"chosen_on": "test"}
    out = swap(src, dst, {"from": "test"})
    assert (out["diffusion"]["default_truncation"], out["transformer"]["default_top_k"]) == (0.3, 5)
    out = swap(TINY, dst, {"from": "tiny"})  # priors that state none: the schema's defaults again
    assert "default_truncation" not in out["diffusion"] and "default_top_k" not in out["transformer"]
    before = open(os.path.join(src, "manifest.json")).read()
    with pytest.raises(ValueError, match="default_truncation"):
        set_sampling(src, 0, 5, {})
    assert open(os.path.join(src, "manifest.json")).read() == before  # nothing written
