"""The one training loop every stage runs (VQ-GAN, ReFiT's fine-tune, diffusion, transformer, guided decoder).

A stage supplies its networks and optimisers, one training step, its validation and its extra state; the loop
owns the rest:

    loop = TrainLoop("diffusion", c, warmup=200, clip=1.0)    # threads, seed, device, processes (dist.py)
    model = UNet(c).to(loop.device); opt = ...
    loop.track(model=model, opt=opt, ts=ts)                  # the checkpoint's keys
    loop.resume()                                            # from <out>/ckpt.pt, when there is one
    loop.run(step, validate, exports)

- Steps: `c.steps` is the length of the learning-rate schedule (cosine down to `floor` x `c.lr` after a linear
  warm-up, `lr_at`): a function of the step alone, so a run stopped and resumed, or split over machines,
  follows one schedule. `c.max_steps` (where a stage has it) stops earlier without changing the schedule.
- Time: `c.minutes` is a safety stop for this run only; a run it stops resumes where it stopped.
- Checkpoints: `<out>/ckpt.pt` every `c.ckpt_every_s` seconds and at the end, written atomically
  (`common.save_ckpt`) with the tracked objects' state dicts under their names plus `step`, `elapsed` (seconds
  of training over all runs), `seen` and `cfg`; with it the stage's `exports()` (e.g. `diffusion_fp16.pt`).
- Logs: `<out>/log.jsonl` (`common.Log`): `{stage, step, seen, minutes, **metrics, lr}` every `log_every`
  steps and `{stage}_val` rows every `c.val_every` steps.
- Processes: under torchrun every process runs the same steps on its own batches (`data_seed`); gradients
  are averaged in `update`, rank 0 alone validates, logs and writes, and rank 0's clock stops everyone.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict

import torch

from .common import Log, load_ckpt, save_ckpt, setup_threads
from .dist import Dist


def lr_at(base: float, step: int, steps: int, warmup: int = 0, floor: float = 0.1) -> float:
    """Cosine over `steps` from `base` down to `floor` x `base`, after a linear warm-up of `warmup` steps."""
    frac = min(1.0, step / max(1, steps))
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    return base * warm * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))


class TrainLoop:
    def __init__(self, stage: str, c, *, warmup: int = 0, clip: float = 0.0, floor: float = 0.1, log_every: int = 50):
        """c: the stage's dataclass config; read: steps, minutes, lr, out, threads, seed, ckpt_every_s, and
        val_every and max_steps where it has them."""
        self.stage, self.c = stage, c
        self.warmup, self.clip, self.floor, self.log_every = warmup, clip, floor, log_every
        self.ddp = Dist()
        self.device = self.ddp.device()
        setup_threads(c.threads)
        torch.manual_seed(c.seed)
        self.ckpt_path = os.path.join(c.out, "ckpt.pt")
        self.log = Log(os.path.join(c.out, "log.jsonl")) if self.ddp.main else lambda **row: None  # rank 0 logs
        self.state: dict = {}
        self.step, self.seen, self.elapsed = 0, 0, 0.0
        self._t_run = None  # when this run's steps began

    # ---- set-up ------------------------------------------------------------------------------------------

    def track(self, **objs) -> None:
        """Checkpointed state by key: modules, optimisers, anything with state_dict/load_state_dict, or a
        plain dict (saved as it is, updated in place on resume)."""
        self.state.update(objs)

    def has_checkpoint(self) -> bool:
        return os.path.exists(self.ckpt_path)

    def resume(self) -> bool:
        """Loads the checkpoint when there is one; every process then starts from rank 0's weights."""
        ck = load_ckpt(self.ckpt_path, self.device)
        if ck:
            for k, o in self.state.items():
                if isinstance(o, dict):
                    o.update(ck.get(k, {}))
                else:
                    o.load_state_dict(ck[k])
            self.step, self.seen, self.elapsed = ck["step"], ck.get("seen", 0), ck.get("elapsed", 0.0)
            self.say(f"{self.stage}: resumed at step {self.step} of {self.c.steps} "
                     f"({self.elapsed / 60:.1f} min so far)")
        self.ddp.broadcast(*self.modules())
        return bool(ck)

    def modules(self) -> list:
        return [o for o in self.state.values() if isinstance(o, torch.nn.Module)]

    def optimizers(self) -> list:
        return [o for o in self.state.values() if isinstance(o, torch.optim.Optimizer)]

    @property
    def data_seed(self) -> int:
        """Seed for this process's batches: another one per rank and per resumed step."""
        return self.c.seed + 1000 * self.ddp.rank + self.step

    def say(self, msg: str) -> None:
        if self.ddp.main:
            print(msg, flush=True)

    # ---- within a step -----------------------------------------------------------------------------------

    def lr(self, step: int | None = None) -> float:
        return lr_at(self.c.lr, self.step if step is None else step, self.c.steps, self.warmup, self.floor)

    def update(self, loss: torch.Tensor, opt: torch.optim.Optimizer, *modules: torch.nn.Module) -> None:
        """One optimiser step on `loss`: backward, gradients averaged over the processes, clipped (when the
        loop clips), step."""
        opt.zero_grad(set_to_none=True)
        loss.backward()
        self.ddp.average_grads(*modules)
        if self.clip:
            torch.nn.utils.clip_grad_norm_([p for m in modules for p in m.parameters()], self.clip)
        opt.step()

    def minutes(self) -> float:
        """Time spent in the loop over all runs so far."""
        return (self.elapsed + (time.time() - self._t_run if self._t_run else 0.0)) / 60

    # ---- the loop ----------------------------------------------------------------------------------------

    def run(self, train_step, validate=None, exports=None, *, val_at_start: bool = False, val_at_end: bool = False):
        """train_step(step) -> (items in this process's batch, {metric: float}); validate() -> {metric: float};
        exports() -> {file name in out: object} written with each checkpoint."""
        c = self.c
        limit = min(c.steps, getattr(c, "max_steps", c.steps))
        val_every = getattr(c, "val_every", 0)
        self._t_run = time.time()
        last_ck, first = self._t_run, self.step
        validate = validate if self.ddp.main else None
        if validate and val_at_start and self.step == 0:
            self._log_val(validate)
        stop = torch.zeros(1, device=self.device)
        while self.step < limit:
            stop.fill_(float(time.time() - self._t_run >= c.minutes * 60))
            if self.ddp.world > 1:
                torch.distributed.broadcast(stop, 0)
            if stop.item():
                self.say(f"{self.stage}: stopped by the {c.minutes:g}-minute limit at step {self.step} of {c.steps}; "
                         "run again to continue")
                break
            lr = self.lr()
            for opt in self.optimizers():
                for g in opt.param_groups:
                    g["lr"] = lr
            n, metrics = train_step(self.step)
            self.step += 1
            self.seen += n * self.ddp.world
            if self.step % self.log_every == 0:
                self.log(stage=self.stage, step=self.step, seen=self.seen, minutes=self.minutes(),
                         **{k: v if isinstance(v, int) else float(v) for k, v in metrics.items()}, lr=lr)
            if validate and val_every and self.step % val_every == 0:
                self._log_val(validate)
            if self.ddp.main and time.time() - last_ck > c.ckpt_every_s:
                self.save(exports)
                last_ck = time.time()
        self.ddp.check_in_sync(*self.modules())
        if validate and val_at_end and self.step > first:  # a rerun of a finished stage validates nothing new
            self._log_val(validate)
        self.save(exports)
        self.ddp.close()

    def _log_val(self, validate) -> None:
        self.log(stage=f"{self.stage}_val", step=self.step, seen=self.seen, minutes=self.minutes(), **validate())

    def save(self, exports=None) -> None:
        """The checkpoint and the stage's exports, on rank 0 (atomic writes)."""
        if not self.ddp.main:
            return
        state = {k: (o if isinstance(o, dict) else o.state_dict()) for k, o in self.state.items()}
        save_ckpt(self.ckpt_path, **state, step=self.step, elapsed=self.minutes() * 60, seen=self.seen,
                  cfg=asdict(self.c))
        for name, obj in (exports() if exports else {}).items():
            save_ckpt(os.path.join(self.c.out, name), **obj)
