"""Stage 6: export the four networks to ONNX (opset 17) and write the pack's manifest.json (models/README.md).

    /usr/bin/python3 -m models.training.export --out models/default       # from runs/*/ *_fp16.pt

The tensor contract (each role's inputs and outputs, names, dtypes, shapes; their string dims are the graphs'
dynamic axes) is models/pack.schema.json, read by `pack_schema.specs`; every manifest written is validated
against that schema.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import warnings

import numpy as np
import torch
import torch.nn as nn

from .common import RUNS, load_fp16_model
from .diffusion import DiffConfig, UNet
from .pack_schema import specs, validate as validate_manifest
from .transformer import GPT, GPTConfig
from .vqgan import VQConfig, VQGAN

OPSET = 17
# 2: the transformer takes a fixed-capacity KV cache and its length, and returns only the new positions' keys
# and values (format 1 took the cache as long as its length and returned it whole, grown by N)
FORMAT_VERSION = 2


class EncoderOnnx(nn.Module):
    def __init__(self, vq: VQGAN):
        super().__init__()
        self.vq = vq

    def forward(self, image):  # [B, 3, 4H, 4W] -> [B, H, W] int64
        return self.vq.encode(image)


class DecoderOnnx(nn.Module):
    def __init__(self, vq: VQGAN):
        super().__init__()
        self.vq = vq

    def forward(self, codes):  # [B, H, W] int64 -> [B, 3, 4H, 4W]
        return self.vq.decode(codes)


class DiffusionOnnx(nn.Module):
    def __init__(self, net: UNet):
        super().__init__()
        self.net = net

    def forward(self, z_t, t):  # [B, H, W], [B] -> [B, H, W, K] channel-last log-softmax
        # the log-softmax over the last axis after the transpose: over axis 1 before it, ONNX Runtime
        # inserts layout transposes around it, the largest single op of the graph (same values)
        return torch.log_softmax(self.net.logits(z_t, t).permute(0, 2, 3, 1), dim=-1)


class GuidedDecoderOnnx(nn.Module):
    def __init__(self, gd):
        super().__init__()
        self.gd = gd

    def forward(self, codes, known, mask):  # [B, H, W] i64, [B, 3, S, S], [B, 1, S, S] -> [B, 3, S, S]
        return self.gd(codes, known, mask)


class TransformerOnnx(nn.Module):
    def __init__(self, gpt: GPT):
        super().__init__()
        self.gpt = gpt

    def forward(self, tokens, past_length, cache):
        return self.gpt.forward_step(tokens, past_length, cache)


def _dyn(entries):
    return {e["name"]: {i: d for i, d in enumerate(e["shape"]) if isinstance(d, str)} for e in entries}


def export_onnx(module, args, path, ins, outs):
    module.eval()
    dyn = {**_dyn(ins), **_dyn(outs)}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, input_names=[e["name"] for e in ins],
                          output_names=[e["name"] for e in outs], dynamic_axes=dyn, opset_version=OPSET,
                          do_constant_folding=True)


def export_diffusion(unet: UNet, path: str) -> None:
    """The diffusion graph alone (fp32 weights), e.g. for `common.load_onnx_weights`."""
    c = unet.cfg
    export_onnx(DiffusionOnnx(unet), (torch.randint(0, c.K, (2, 16, 16)), torch.tensor([1, c.T])), path,
                *specs(c.K, 1, 1, 1)["diffusion"])


def export_transformer(gpt: GPT, path: str) -> None:
    """The transformer graph alone (fp32 weights), e.g. for `common.load_onnx_weights`."""
    c = gpt.cfg
    export_onnx(TransformerOnnx(gpt), (torch.randint(0, c.K, (2, 2)), torch.tensor(3), torch.randn(c.layers, 2, 2, c.heads, 5, c.head_dim)),
                path, *specs(c.K, c.layers, c.heads, c.head_dim)["transformer"])


def fp16_initializers(path: str, min_size: int = 1024) -> None:
    """Store large float32 weights as float16 initializers followed by a Cast back to float32, halving the
    file size; inputs, outputs and all arithmetic stay float32. The committed checkpoints are fp16 already,
    so this loses nothing further."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    m = onnx.load(path)
    g = m.graph
    casts, keep = [], []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and np.prod(init.dims) >= min_size:
            arr = numpy_helper.to_array(init).astype(np.float16)
            new = numpy_helper.from_array(arr, init.name + "__fp16")
            keep.append(new)
            casts.append(helper.make_node("Cast", [new.name], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + "__cast"))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for b in iter(lambda: fh.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def export_pack(out: str, vq: VQGAN, unet: UNet, gpt: GPT, *, name: str, description: str, grids=(16, 32),
                default_steps: int = 50, training: dict | None = None, fp16_weights: bool = False,
                guided=None) -> dict:
    """Writes the four networks (and the guided decoder when given) as ONNX plus manifest.json."""
    os.makedirs(out, exist_ok=True)
    vc, dc, gc = vq.cfg, unet.cfg, gpt.cfg
    K, g, ds = vc.K, gc.grid, vc.downsample
    assert dc.K == K and gc.K == K
    sp = specs(K, gc.layers, gc.heads, gc.head_dim)
    vq, unet, gpt = vq.cpu().float().eval(), unet.cpu().float().eval(), gpt.cpu().float().eval()
    x = torch.rand(2, 3, g * ds, g * ds) * 2 - 1
    codes = torch.randint(0, K, (2, g, g))
    # role -> writes its graph to the given path
    jobs = {"encoder": lambda p: export_onnx(EncoderOnnx(vq), (x,), p, *sp["encoder"]),
            "decoder": lambda p: export_onnx(DecoderOnnx(vq), (codes,), p, *sp["decoder"]),
            "diffusion": lambda p: export_diffusion(unet, p),
            "transformer": lambda p: export_transformer(gpt, p)}
    if guided is not None:
        S = g * ds * 2  # traced at twice the grid's pixels, so the code resize is not folded away
        msk = (torch.rand(2, 1, S, S) > 0.5).float()
        args = (codes, torch.rand(2, 3, S, S) * 2 - 1, msk)
        jobs["guided_decoder"] = lambda p: export_onnx(GuidedDecoderOnnx(guided.cpu().float().eval()), args, p,
                                                       *sp["guided_decoder"])
    files = {}
    for role, write in jobs.items():
        path = os.path.join(out, f"{role}.onnx")
        ins, outs = sp[role]
        write(path)
        if fp16_weights:
            fp16_initializers(path)
        files[role] = {"path": f"{role}.onnx", "sha256": sha256(path), "inputs": ins, "outputs": outs}
    manifest = {
        "format": "vqddm-pack", "format_version": FORMAT_VERSION, "name": name, "description": description,
        "image": {"size": g * ds, "range": [-1, 1]},
        "latent": {"downsample": ds, "grid": g, "grids": list(grids), "codebook_size": K},
        "diffusion": {"T": dc.T, "schedule": dc.sched(), "default_steps": default_steps},
        "transformer": {"layers": gc.layers, "heads": gc.heads, "head_dim": gc.head_dim,
                        "context": gc.context, "start_token": K},
        "files": files,
        "training": training or {},
    }
    validate_manifest(manifest)
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return manifest


def load_models(vq_path=None, diff_path=None, gpt_path=None):
    """Rebuild the three networks from their compact fp16 files ({"cfg", "model"})."""
    vq_path = vq_path or os.path.join(RUNS, "refit", "vqgan_refit_fp16.pt")
    diff_path = diff_path or os.path.join(RUNS, "diffusion", "diffusion_fp16.pt")
    gpt_path = gpt_path or os.path.join(RUNS, "transformer", "transformer_fp16.pt")
    return [load_fp16_model(p, C, M) for p, C, M in
            [(vq_path, VQConfig, VQGAN), (diff_path, DiffConfig, UNet), (gpt_path, GPTConfig, GPT)]]


def load_guided(path: str):
    """The guided decoder from its compact fp16 file ({"cfg", "vq_cfg", "model"}, models/training/guided.py)."""
    from .guided import GuidedDecoder
    return load_fp16_model(path, VQConfig, GuidedDecoder, key="vq_cfg")


def logsoftmax_last_axis(path: str) -> bool:
    """Graph pass for diffusion graphs exported before DiffusionOnnx took the log-softmax after its transpose:
    LogSoftmax(axis=1) -> Transpose(0, 2, 3, 1) becomes Transpose -> LogSoftmax(axis=-1), the same values
    without ONNX Runtime's layout transposes. Returns whether the graph changed."""
    import onnx
    from onnx import helper
    m = onnx.load(path)
    nodes = list(m.graph.node)
    for i, ls in enumerate(nodes):
        if ls.op_type != "LogSoftmax" or helper.get_attribute_value(next(a for a in ls.attribute if a.name == "axis")) != 1:
            continue
        users = [n for n in nodes if ls.output[0] in n.input]
        if len(users) != 1 or users[0].op_type != "Transpose":
            continue
        tr = users[0]
        if list(helper.get_attribute_value(next(a for a in tr.attribute if a.name == "perm"))) != [0, 2, 3, 1]:
            continue
        mid = ls.output[0] + "_nhwc"
        new_tr = helper.make_node("Transpose", [ls.input[0]], [mid], perm=[0, 2, 3, 1], name=tr.name)
        new_ls = helper.make_node("LogSoftmax", [mid], [tr.output[0]], axis=-1, name=ls.name)
        rest = [n for n in nodes if n is not ls and n is not tr]
        j = rest.index(nodes[i - 1]) + 1 if i > 0 else 0
        del m.graph.node[:]
        m.graph.node.extend(rest[:j] + [new_tr, new_ls] + rest[j:])
        onnx.checker.check_model(m)
        onnx.save(m, path)
        return True
    return False


def upgrade_pack(pack: str, guided_path: str | None, training: dict | None = None, transformer_path: str | None = None,
                 fp16_weights: bool = True) -> dict:
    """Brings a pack whose other PyTorch networks are not at hand up to the present export: the diffusion
    graph's log-softmax on the last axis, the transformer exported again from its checkpoint (format 1 -> 2:
    the fixed-capacity KV cache), and the guided decoder added from its checkpoint; `training` is merged into
    manifest.training. Rewrites manifest.json."""
    mpath = os.path.join(pack, "manifest.json")
    manifest = json.load(open(mpath))
    if manifest.get("format_version") != FORMAT_VERSION and not transformer_path:
        raise SystemExit(f"{pack} is format_version {manifest.get('format_version')}, whose transformer graph takes its KV "
                         f"cache another way: give its checkpoint with --transformer to export it as format {FORMAT_VERSION}")
    manifest.setdefault("training", {}).update(training or {})
    logsoftmax_last_axis(os.path.join(pack, manifest["files"]["diffusion"]["path"]))
    if transformer_path:
        gpt = load_fp16_model(transformer_path, GPTConfig, GPT)
        c, tm = gpt.cfg, manifest["transformer"]
        if (c.K, c.layers, c.heads, c.head_dim, c.grid * c.grid + 1) != (manifest["latent"]["codebook_size"], tm["layers"], tm["heads"], tm["head_dim"], tm["context"]):
            raise SystemExit(f"{transformer_path}: its transformer's shape does not match {mpath}")
        path = os.path.join(pack, manifest["files"]["transformer"]["path"])
        export_transformer(gpt.float().eval(), path)
        if fp16_weights:
            fp16_initializers(path)
        ins, outs = specs(c.K, c.layers, c.heads, c.head_dim)["transformer"]
        manifest["files"]["transformer"].update({"inputs": ins, "outputs": outs})
        manifest["format_version"] = FORMAT_VERSION
    if guided_path:
        gd = load_guided(guided_path)
        g, K = manifest["latent"]["grid"], manifest["latent"]["codebook_size"]
        ds = manifest["latent"]["downsample"]
        S = g * ds * 2
        path = os.path.join(pack, "guided_decoder.onnx")
        ins, outs = specs(K, 1, 1, 1)["guided_decoder"]
        args = (torch.randint(0, K, (2, g, g)), torch.rand(2, 3, S, S) * 2 - 1, (torch.rand(2, 1, S, S) > 0.5).float())
        export_onnx(GuidedDecoderOnnx(gd), args, path, ins, outs)
        fp16_initializers(path)
        manifest["files"]["guided_decoder"] = {"path": "guided_decoder.onnx", "inputs": ins, "outputs": outs}
    for f in manifest["files"].values():
        f["sha256"] = sha256(os.path.join(pack, f["path"]))
    validate_manifest(manifest)
    with open(mpath, "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/default")
    ap.add_argument("--name", default="default")
    ap.add_argument("--description", default="VQ-GAN (ReFiT) + discrete diffusion + transformer, trained on CPU")
    ap.add_argument("--vq", default=None)
    ap.add_argument("--diffusion", default=None)
    ap.add_argument("--transformer", default=None, help="transformer checkpoint (with --upgrade: exported again, format 1 -> 2)")
    ap.add_argument("--guided", default=None, help="guided decoder checkpoint (runs/guided/guided_fp16.pt)")
    ap.add_argument("--upgrade", action="store_true",
                    help="upgrade the pack at --out in place (log-softmax layout, --transformer exported again, --guided added) instead of exporting")
    ap.add_argument("--default_steps", type=int, default=50)
    ap.add_argument("--fp32", action="store_true", help="keep float32 weights in the ONNX files")
    ap.add_argument("--training_json", default="", help="JSON file merged into manifest.training")
    a = ap.parse_args(argv)
    training = json.load(open(a.training_json)) if a.training_json else {}
    if a.upgrade:
        m = upgrade_pack(a.out, a.guided, training, a.transformer, fp16_weights=not a.fp32)
    else:
        vq, unet, gpt = load_models(a.vq, a.diffusion, a.transformer)
        m = export_pack(a.out, vq, unet, gpt, name=a.name, description=a.description,
                        default_steps=a.default_steps, training=training, fp16_weights=not a.fp32,
                        guided=load_guided(a.guided) if a.guided else None)
    print(json.dumps({k: v["sha256"][:12] for k, v in m["files"].items()}))


if __name__ == "__main__":
    main()
