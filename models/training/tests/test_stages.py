"""Each stage for a few steps with tiny widths on synthetic photos, then export + onnxruntime-node parity."""
import dataclasses
import json
import os

import numpy as np
import pytest
import torch

from models.training import diffusion as DF
from models.training import encode as EN
from models.training import export as EX
from models.training import refit as RF
from models.training import transformer as TF
from models.training import vqgan as VQ
from models.training.tests.ortnode import run as ort_run

K = 32


@pytest.fixture(scope="module")
def pipeline(photo_dir, tmp_path_factory):
    w = tmp_path_factory.mktemp("work")
    vc = VQ.VQConfig(ch=8, ch_mult=(1, 1, 2), code_dim=8, K=K, batch=4, max_steps=6, gan_start_frac=0.0,
                     val_every=3, out=str(w / "vqgan"), images=photo_dir, threads=1, disc_ch=8)
    VQ.train(vc)
    _, rm = RF.refit(RF.RefitConfig(P=400, per_crop=4, chain=20, steps=2, batch=4, threads=1,
                                    vq_ckpt=str(w / "vqgan" / "ckpt.pt"), out=str(w / "refit"), images=photo_dir))
    vq_path = str(w / "refit" / "vqgan_refit_fp16.pt")
    EN.main(["--vq", vq_path, "--out", str(w / "grids.pt"), "--images", photo_dir, "--n16", "64", "--n32", "8",
             "--nval", "16", "--batch", "16", "--threads", "1"])
    dc = DF.DiffConfig(K=K, T=10, ch=16, emb_dim=16, num_res=1, batch=4, max_steps=4, big_every=2, val_every=2,
                       grids=str(w / "grids.pt"), out=str(w / "diffusion"))
    DF.train(dc)
    gc = TF.GPTConfig(K=K, layers=2, heads=2, head_dim=16, batch=4, max_steps=3, val_every=3,
                      grids=str(w / "grids.pt"), out=str(w / "transformer"))
    TF.train(gc)
    return w, rm


def test_stages_write_their_outputs(pipeline):
    w, rm = pipeline
    for p in ["vqgan/ckpt.pt", "vqgan/vqgan_fp16.pt", "refit/vqgan_refit_fp16.pt", "grids.pt",
              "diffusion/diffusion_fp16.pt", "transformer/transformer_fp16.pt", "refit/metrics.json"]:
        assert (w / p).exists(), p
    G = torch.load(w / "grids.pt")
    assert G["train16"].dtype == torch.int16 and G["train16"].shape == (64, 16, 16)
    assert G["train32"].shape == (8, 32, 32)
    assert int(G["train16"].max()) < K
    assert rm["after_refit"]["usage"] >= rm["before_refit"]["usage"] - 1e-9
    logs = [json.loads(l) for l in open(w / "diffusion" / "log.jsonl")]
    assert any(r["stage"] == "diffusion_val" and np.isfinite(r["val_bits_est"]) for r in logs)


def test_vqgan_resumes_from_checkpoint(pipeline, photo_dir):
    w, _ = pipeline
    before = torch.load(w / "vqgan" / "ckpt.pt")["step"]
    VQ.train(VQ.VQConfig(ch=8, ch_mult=(1, 1, 2), code_dim=8, K=K, batch=4, max_steps=before + 1,
                         out=str(w / "vqgan"), images=photo_dir, threads=1, disc_ch=8, val_every=100))
    assert torch.load(w / "vqgan" / "ckpt.pt")["step"] == before + 1


def test_refit_resumes_its_fine_tune_unless_stage_1_moved_on(pipeline, photo_dir, tmp_path):
    import shutil
    w, _ = pipeline
    shutil.copy(w / "vqgan" / "ckpt.pt", tmp_path / "vq.pt")
    cfg = dict(P=400, per_crop=4, chain=20, batch=4, threads=1, vq_ckpt=str(tmp_path / "vq.pt"), out=str(tmp_path / "refit"),
               images=photo_dir)
    kmeans_rows = lambda: [json.loads(l) for l in open(tmp_path / "refit" / "log.jsonl") if '"kmeans"' in l]
    RF.refit(RF.RefitConfig(steps=1, **cfg))
    _, m = RF.refit(RF.RefitConfig(steps=2, **cfg))  # resumes: no second k-means, the first one's results reported
    assert len(kmeans_rows()) == 1 and m["finetune_steps"] == 2 and "before_refit" in m
    assert torch.load(tmp_path / "refit" / "ckpt.pt")["step"] == 2
    vq = torch.load(tmp_path / "vq.pt")
    torch.save({**vq, "step": vq["step"] + 1}, tmp_path / "vq.pt")  # stage 1 trained on: rebuild, fine-tune afresh
    _, m = RF.refit(RF.RefitConfig(steps=1, **cfg))
    assert len(kmeans_rows()) == 2 and m["finetune_steps"] == 1


def test_elbo_and_nll_are_finite(pipeline):
    w, _ = pipeline
    vq, unet, gpt = EX.load_models(str(w / "refit" / "vqgan_refit_fp16.pt"), str(w / "diffusion" / "diffusion_fp16.pt"),
                                   str(w / "transformer" / "transformer_fp16.pt"))
    G = torch.load(w / "grids.pt")
    v = G["val16"][:4].long()
    mn = DF.Multinomial(K, unet.cfg.T, unet.cfg.sched())
    b = DF.elbo_bits(unet, mn, v)
    assert 0 < b < 3 * np.log2(K)
    nll = TF.val_bits(gpt, v)
    assert 0 < nll < 3 * np.log2(K)


@pytest.mark.parametrize("fp16", [False, True])
def test_export_and_onnxruntime_node_parity(pipeline, tmp_path, fp16):
    w, _ = pipeline
    vq, unet, gpt = EX.load_models(str(w / "refit" / "vqgan_refit_fp16.pt"), str(w / "diffusion" / "diffusion_fp16.pt"),
                                   str(w / "transformer" / "transformer_fp16.pt"))
    m = EX.export_pack(str(tmp_path), vq, unet, gpt, name="t", description="t", fp16_weights=fp16)
    for role, f in m["files"].items():
        assert EX.sha256(os.path.join(tmp_path, f["path"])) == f["sha256"]
    assert m["transformer"]["start_token"] == K and m["transformer"]["context"] == 257
    assert m["diffusion"]["T"] == 10 and m["latent"]["codebook_size"] == K
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for grid, B in [(16, 2), (32, 1)]:
            x = torch.rand(B, 3, 4 * grid, 4 * grid, generator=g) * 2 - 1
            codes = ort_run(str(tmp_path / "encoder.onnx"), {"image": x.numpy()})["codes"]
            assert codes.dtype == np.int64 and codes.shape == (B, grid, grid)
            assert (codes == vq.encode(x).numpy()).mean() > 0.99
            c = torch.from_numpy(codes)
            img = ort_run(str(tmp_path / "decoder.onnx"), {"codes": codes})["image"]
            np.testing.assert_allclose(img, vq.decode(c).numpy(), atol=1e-4)
            t = torch.tensor([1] * (B - 1) + [10])
            lp = ort_run(str(tmp_path / "diffusion.onnx"), {"z_t": codes, "t": t.numpy()})["log_p0"]
            assert lp.shape == (B, grid, grid, K)
            np.testing.assert_allclose(lp, unet(c, t).permute(0, 2, 3, 1).numpy(), atol=1e-4)
            np.testing.assert_allclose(np.exp(lp).sum(-1), 1.0, atol=1e-4)
        # transformer: an empty cache (C = 0), then one token with a cache of 8 slots holding the returned keys
        # and values in its first 5 and garbage after them (which must be ignored)
        toks = torch.cat([torch.full((2, 1), K), torch.randint(0, K, (2, 4), generator=g)], 1)
        cache0 = np.zeros((2, 2, 2, 2, 0, 16), np.float32)
        o = ort_run(str(tmp_path / "transformer.onnx"), {"tokens": toks.numpy(), "past_length": np.array(0), "cache": cache0})
        np.testing.assert_allclose(o["logits"], gpt(toks).numpy(), atol=1e-4)
        assert o["kv"].shape == (2, 2, 2, 2, 5, 16)
        cache = np.random.default_rng(0).normal(0, 100, (2, 2, 2, 2, 8, 16)).astype(np.float32)
        cache[:, :, :, :, :5] = o["kv"]
        nxt = torch.randint(0, K, (2, 1), generator=g)
        o2 = ort_run(str(tmp_path / "transformer.onnx"), {"tokens": nxt.numpy(), "past_length": np.array(5), "cache": cache})
        full = gpt(torch.cat([toks, nxt], 1))
        np.testing.assert_allclose(o2["logits"][:, 0], full[:, -1].numpy(), atol=1e-4)
        assert o2["kv"].shape == (2, 2, 2, 2, 1, 16)


def test_priors_warm_start_from_a_pack(pipeline, tmp_path):
    """init_onnx: a stage with no checkpoint yet starts from a pack's weights (train_all --init_pack)."""
    w, _ = pipeline
    vq, unet, gpt = EX.load_models(str(w / "refit" / "vqgan_refit_fp16.pt"), str(w / "diffusion" / "diffusion_fp16.pt"),
                                   str(w / "transformer" / "transformer_fp16.pt"))
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():  # after a few steps many weights are still equal (norms at 1), which the exporter shares
        for p in [*unet.parameters(), *gpt.parameters()]:
            p.add_(0.01 * torch.randn(p.shape, generator=g))
    EX.export_pack(str(tmp_path / "pack"), vq, unet, gpt, name="t", description="t")
    for mod, net, role in [(DF, unet, "diffusion"), (TF, gpt, "transformer")]:
        cfg = {**dataclasses.asdict(net.cfg), "max_steps": 0, "init_onnx": str(tmp_path / "pack" / f"{role}.onnx"),
               "out": str(tmp_path / role)}
        mod.train(type(net.cfg)(**cfg))  # no steps: the checkpoint holds the warm-started weights
        got = torch.load(tmp_path / role / "ckpt.pt")["model"]
        for k, v in net.state_dict().items():
            np.testing.assert_allclose(got[k].float().numpy(), v.float().numpy(), atol=1e-6, err_msg=k)


def test_guided_decoder_trains_resumes_and_matches_onnx(pipeline, photo_dir, tmp_path):
    from models.training import guided as GD
    w, _ = pipeline
    cfg = dict(vq=str(w / "refit" / "vqgan_refit_fp16.pt"), sizes="64,96", grids="16", batch=2, steps=3, val_every=2,
               threads=1, out=str(tmp_path / "guided"), images=photo_dir, max_side=320, disc_ch=8, code_noise=0.5)
    GD.train(GD.GuidedConfig(**cfg))
    assert torch.load(tmp_path / "guided" / "ckpt.pt")["step"] == 3
    vq, unet, gpt = EX.load_models(cfg["vq"], str(w / "diffusion" / "diffusion_fp16.pt"), str(w / "transformer" / "transformer_fp16.pt"))
    # a pack's prior is read back in the default architecture (load_diffusion: the manifest does not carry widths),
    # with weights off their initial values (identical initializers would be merged in the ONNX)
    prior = DF.UNet(DF.DiffConfig(K=K, T=10)).eval()
    with torch.no_grad():
        for p in prior.parameters():
            p.add_(0.01 * torch.randn_like(p))
    EX.export_pack(str(tmp_path / "plain"), vq, prior, gpt, name="t", description="t")
    # resumes with the hole's codes drawn by that pack's diffusion prior, one adversarial step
    GD.train(GD.GuidedConfig(**{**cfg, "steps": 4, "w_gan": 0.1, "w_fm": 1.0, "r1_every": 1,
                                "code_noise": 0.0, "prior_pack": str(tmp_path / "plain")}))
    assert torch.load(tmp_path / "guided" / "ckpt.pt")["step"] == 4
    gd = EX.load_guided(str(tmp_path / "guided" / "guided_fp16.pt"))
    m = EX.export_pack(str(tmp_path / "pack"), vq, unet, gpt, name="t", description="t", guided=gd)
    assert [e["name"] for e in m["files"]["guided_decoder"]["inputs"]] == ["codes", "known", "mask"]
    g = torch.Generator().manual_seed(1)
    for S in (64, 100):  # any side divisible by 4 and at least 4 x grid, not only the traced one
        codes = torch.randint(0, K, (2, 16, 16), generator=g)
        known = torch.rand(2, 3, S, S, generator=g) * 2 - 1
        mask = (torch.rand(2, 1, S, S, generator=g) > 0.6).float()
        out = ort_run(str(tmp_path / "pack" / "guided_decoder.onnx"), {"codes": codes.numpy(), "known": known.numpy(), "mask": mask.numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(out["image"], gd(codes, known, mask).numpy(), atol=1e-4)


def test_guided_decoder_data_parallel_two_processes(pipeline, photo_dir, tmp_path):
    """torchrun with 2 CPU processes (gloo): both run the same steps, rank 0 writes the checkpoint.
    (`--redirects 2 --tee 1`: torch 1.13's launcher cannot parse its own defaults on Python 3.11.)"""
    import subprocess
    import sys
    w, _ = pipeline
    env = {**os.environ, "PYTHONPATH": os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
                        "--redirects", "2", "--tee", "1",
                        "-m", "models.training.guided", "--vq", str(w / "refit" / "vqgan_refit_fp16.pt"), "--sizes", "64",
                        "--grids", "16", "--batch", "2", "--steps", "2", "--val_every", "100", "--threads", "1",
                        "--out", str(tmp_path / "g"), "--images", photo_dir, "--max_side", "320", "--disc_ch", "8"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2 process(es)" in r.stdout
    ck = torch.load(tmp_path / "g" / "ckpt.pt")
    assert ck["step"] == 2 and ck["seen"] == 2 * 2 * 2
