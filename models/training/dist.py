"""Data-parallel training over processes started by torchrun: gloo on CPU, NCCL on CUDA. The training loop
(loop.py) calls these hooks for every stage, so any stage's command runs under torchrun:

    /usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 --redirects 2 --tee 1 -m models.training.guided
    torchrun --nproc_per_node 8 -m models.training.diffusion ...         # one GPU per process

(`--redirects 2 --tee 1` only for Debian's torch 1.13 on Python 3.11, whose launcher fails on its defaults.)
Without torchrun (no WORLD_SIZE in the environment) everything is a single process and every call is a no-op.
Gradients are averaged by an explicit all-reduce after each backward rather than by wrapping models in
DistributedDataParallel, because the adversarial stages take gradients of gradients (R1), which DDP's
hooks do not support; for these small models the extra reduction calls cost nothing that matters.
Each rank draws its own batches (seed + rank); rank 0 alone validates, logs and writes checkpoints.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


class Dist:
    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def device(self) -> torch.device:
        if torch.cuda.is_available():
            torch.cuda.set_device(self.local_rank)
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    def broadcast(self, *modules: torch.nn.Module) -> None:
        """Every rank starts from rank 0's weights (after a resume, say)."""
        if self.world > 1:
            for m in modules:
                for t in list(m.parameters()) + list(m.buffers()):
                    dist.broadcast(t.data, 0)

    def average_grads(self, *modules: torch.nn.Module) -> None:
        """Mean of every parameter's gradient over the ranks; call between backward and step."""
        if self.world > 1:
            for m in modules:
                for p in m.parameters():
                    if p.grad is not None:
                        dist.all_reduce(p.grad)
                        p.grad /= self.world

    def check_in_sync(self, *modules: torch.nn.Module) -> None:
        """Raises when the ranks' weights differ (gradients not averaged, or a rank drew another step)."""
        if self.world > 1:
            v = torch.stack([p.detach().double().sum() for m in modules for p in m.parameters()])
            every = [torch.zeros_like(v) for _ in range(self.world)]
            dist.all_gather(every, v)
            if not all(torch.equal(o, v) for o in every):
                raise RuntimeError(f"rank {self.rank}: weights differ between ranks")

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
