"""swap_priors: another pack's priors go in only where the VQ-GAN is the same, and the manifest stays valid."""
import json
import os
import shutil

import pytest

from models.training.swap_priors import sha256, swap

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
