"""swap_decoder: a fine-tuned decoder goes into a pack only where the encoder and codebook are the pack's."""
import json
import os
import shutil
from dataclasses import asdict

import pytest
import torch

from models.training.common import fp16_state
from models.training.make_tiny_pack import tiny_models
from models.training.pack_schema import validate
from models.training.swap_decoder import swap
from models.training.swap_priors import sha256

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "tiny")


def checkpoint(tmp_path, vq, name):
    path = str(tmp_path / name)
    torch.save({"cfg": asdict(vq.cfg), "model": fp16_state(vq)}, path)
    return path


def test_swaps_the_decoder_and_keeps_the_manifest_valid(tmp_path):
    pack = str(tmp_path / "pack")
    shutil.copytree(TINY, pack)
    vq = tiny_models()[0]
    with torch.no_grad():
        for p in vq.decoder.parameters():
            p.add_(0.01)  # a "fine-tuned" decoder
    before = {f: open(os.path.join(pack, f), "rb").read() for f in ("encoder.onnx", "diffusion.onnx", "transformer.onnx")}
    m = swap(checkpoint(tmp_path, vq, "sharp.pt"), pack, {"stage": "test"})
    assert m["files"]["decoder"]["sha256"] == sha256(os.path.join(pack, "decoder.onnx"))
    assert m["training"]["decoder"] == {"stage": "test"}
    validate(json.load(open(os.path.join(pack, "manifest.json"))))
    for f, data in before.items():
        assert open(os.path.join(pack, f), "rb").read() == data  # nothing else touched
    assert not [f for f in os.listdir(pack) if f.endswith(".tmp")]


def test_refuses_a_decoder_of_another_encoder(tmp_path):
    pack = str(tmp_path / "pack")
    shutil.copytree(TINY, pack)
    vq = tiny_models()[0]
    with torch.no_grad():
        vq.encoder.conv_in.weight.add_(0.05)
    before = open(os.path.join(pack, "decoder.onnx"), "rb").read()
    with pytest.raises(ValueError, match="does not share the pack's encoder and codebook"):
        swap(checkpoint(tmp_path, vq, "other.pt"), pack, {})
    assert open(os.path.join(pack, "decoder.onnx"), "rb").read() == before
    other = tiny_models(seed=1)[0]
    with pytest.raises(ValueError, match="does not share"):
        swap(checkpoint(tmp_path, other, "seed1.pt"), pack, {})
