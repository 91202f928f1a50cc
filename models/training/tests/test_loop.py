"""The common training loop (models/training/loop.py): schedule by steps, resume, checkpoint keys, time stop."""
import json
import math

import pytest
import torch

from models.training import diffusion as DF
from models.training import transformer as TF
from models.training.common import config_from
from models.training.loop import lr_at

K = 16


@pytest.fixture(scope="module")
def grids(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    path = tmp_path_factory.mktemp("grids") / "grids.pt"
    torch.save({"train16": torch.randint(0, K, (64, 16, 16), generator=g).to(torch.int16),
                "val16": torch.randint(0, K, (8, 16, 16), generator=g).to(torch.int16),
                "train32": torch.randint(0, K, (8, 32, 32), generator=g).to(torch.int16)}, path)
    return str(path)


def gpt(grids, out, **kw):
    return TF.GPTConfig(K=K, layers=1, heads=2, head_dim=8, batch=2, lr=1e-3, val_every=4, threads=1,
                        grids=grids, out=str(out), **kw)


def rows(out, stage):
    return [json.loads(l) for l in open(out / "log.jsonl") if json.loads(l)["stage"] == stage]


def test_lr_is_a_function_of_the_step():
    assert lr_at(1.0, 0, 100, warmup=10) == pytest.approx(0.1)             # warm-up from base / warmup
    assert lr_at(1.0, 9, 100, warmup=10) == pytest.approx(0.5 * (1.1 + 0.9 * math.cos(math.pi * 0.09)))
    assert lr_at(1.0, 50, 100) == pytest.approx(0.55)                      # half way down the cosine
    assert lr_at(1.0, 100, 100) == pytest.approx(0.1)                      # ends at the floor
    assert lr_at(1.0, 500, 100) == pytest.approx(0.1)                      # and stays there
    assert lr_at(2e-4, 77, 100, floor=1.0) == 2e-4                         # floor 1: constant


def test_a_resumed_run_continues_the_same_schedule(grids, tmp_path):
    TF.train(gpt(grids, tmp_path / "a", steps=8), log_every=1)
    TF.train(gpt(grids, tmp_path / "b", steps=8, max_steps=3), log_every=1)
    TF.train(gpt(grids, tmp_path / "b", steps=8), log_every=1)  # resumes at 3
    a, b = rows(tmp_path / "a", "transformer"), rows(tmp_path / "b", "transformer")
    assert [r["step"] for r in b] == list(range(1, 9))
    assert [r["lr"] for r in b] == [r["lr"] for r in a] == [lr_at(1e-3, s, 8, warmup=200) for s in range(8)]
    assert [r["seen"] for r in b] == [2 * s for s in range(1, 9)]
    assert [r["step"] for r in rows(tmp_path / "b", "transformer_val")] == [4, 8]
    ck = torch.load(tmp_path / "b" / "ckpt.pt")
    assert set(ck) == {"model", "opt", "step", "elapsed", "seen", "cfg"}
    assert ck["step"] == 8 and ck["seen"] == 16 and ck["elapsed"] > 0 and ck["cfg"]["steps"] == 8
    fp16 = torch.load(tmp_path / "b" / "transformer_fp16.pt")
    assert set(fp16) == {"cfg", "model"}
    TF.train(gpt(grids, tmp_path / "b", steps=8), log_every=1)  # done: no more steps, the checkpoint stays at 8
    assert torch.load(tmp_path / "b" / "ckpt.pt")["step"] == 8


def test_minutes_stop_one_run_and_a_rerun_continues(grids, tmp_path):
    cfg = dict(K=K, T=10, ch=8, ch_mult=(1, 2), emb_dim=8, batch=2, steps=4, big_every=2, val_every=2, threads=1,
               grids=grids, out=str(tmp_path / "d"))
    DF.train(DF.DiffConfig(**cfg, minutes=0.0))  # stopped before the first step, still checkpointed
    ck = torch.load(tmp_path / "d" / "ckpt.pt")
    assert ck["step"] == 0 and set(ck) == {"model", "opt", "ts", "step", "elapsed", "seen", "cfg"}
    DF.train(DF.DiffConfig(**cfg), log_every=1)
    ck = torch.load(tmp_path / "d" / "ckpt.pt")
    assert ck["step"] == 4 and int(ck["ts"]["count"].sum()) == 2 + 1 + 2 + 1  # t drawn for 2 16x16 grids, 1 32x32
    assert [r["seen"] for r in rows(tmp_path / "d", "diffusion")] == [2, 3, 5, 6]
    assert [r["step"] for r in rows(tmp_path / "d", "diffusion_val")] == [2, 4]


def test_resume_from_a_checkpoint_without_elapsed(grids, tmp_path):
    """Checkpoints of the guided stage written before the common loop have no `elapsed`."""
    TF.train(gpt(grids, tmp_path / "g", steps=3, max_steps=2))
    ck = torch.load(tmp_path / "g" / "ckpt.pt")
    del ck["elapsed"]
    torch.save(ck, tmp_path / "g" / "ckpt.pt")
    TF.train(gpt(grids, tmp_path / "g", steps=3))
    assert torch.load(tmp_path / "g" / "ckpt.pt")["step"] == 3


def test_config_from_an_older_or_newer_checkpoint():
    c = config_from(TF.GPTConfig, {"K": 32, "layers": 2, "minutes_budget_v0": 5, "grid": 16})  # unknown key dropped
    assert (c.K, c.layers, c.steps) == (32, 2, TF.GPTConfig().steps)                        # missing: default
    assert config_from(DF.DiffConfig, {"ch_mult": [1, 2]}).ch_mult == (1, 2)                # lists back to tuples


def test_any_stage_runs_data_parallel_under_torchrun(grids, tmp_path):
    """The loop's hooks (dist.py) serve every stage: the diffusion prior with 2 CPU processes (gloo) runs the
    same steps on both, averages gradients (the weights are compared at the end) and writes one checkpoint."""
    import os
    import subprocess
    import sys
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29519",
                        "--redirects", "2", "--tee", "1", "-m", "models.training.diffusion", "--K", str(K), "--T", "10",
                        "--ch", "8", "--emb_dim", "8", "--batch", "2", "--steps", "3", "--val_every", "3", "--threads", "1",
                        "--grids", grids, "--out", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": root})
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    ck = torch.load(tmp_path / "d" / "ckpt.pt")
    assert ck["step"] == 3 and ck["seen"] == 3 * 2 * 2
    assert [r["step"] for r in rows(tmp_path / "d", "diffusion_val")] == [3]  # rank 0 alone validates and logs
