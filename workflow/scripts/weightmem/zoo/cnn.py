"""Batched training of the Hyper-Representations CNN zoo (docs/hyperrep.md §1): many runs in one
tensor program, checkpoints kept at several late epochs with epoch and test-accuracy labels.

Each run keeps what makes it a separate run: its own seed, initialisation and data order every
epoch, drawn from one ``torch.Generator`` in a fixed order (init → one permutation per epoch), so
:func:`train_cnn_single` (a plain ``torch.nn`` + ``torch.optim.Adam`` loop) reproduces any run of
:func:`train_cnn_zoo`; the test suite checks this.

Why it is exact: Adam (and its weight decay) is elementwise, so one optimizer over parameters
stacked along a leading model axis performs every run's own update; the loss is the sum of the
runs' mean losses, so each run's gradient is its own. Why it is fast (bench/zoo_training.py): the
runs are the groups of grouped convolutions on channels-last tensors, processed in chunks of
models, and the big per-step activations reuse freed heap memory instead of fresh pages
(:func:`weightmem.runtime.keep_freed_memory`; without it a third of a step went to page faults).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from weightmem.io import WeightSet, flatten
from weightmem.nets.cnn import CNNArch, forward_params
from weightmem.runtime import keep_freed_memory, progress


@dataclass(frozen=True)
class AdamRecipe:
    """Zoo hyper-parameters (not stated in the study: docs/hyperrep.md §1.2; values in config)."""

    epochs: int = 8
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 0.0
    checkpoint_epochs: tuple[int, ...] = field(default=(4, 5, 6, 7, 8))

    def iters_per_epoch(self, n_train: int) -> int:
        return n_train // self.batch_size  # drop_last

    def check(self) -> None:
        bad = [e for e in self.checkpoint_epochs if not 1 <= e <= self.epochs]
        if bad:
            raise ValueError(f"checkpoint epochs {bad} are outside 1..{self.epochs}")


def run_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


@torch.no_grad()
def evaluate(arch: CNNArch, flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
             chunk: int = 64, batch: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """(accuracy in [0, 1], mean cross-entropy) per model on (x, y)."""
    correct = torch.zeros(len(flat))
    loss = torch.zeros(len(flat))
    for s in range(0, len(flat), chunk):
        for b in range(0, len(x), batch):
            z = arch.forward(flat[s:s + chunk], x[b:b + batch])  # [c, B, 10]
            yb = y[b:b + batch].expand(z.shape[0], -1)
            correct[s:s + chunk] += (z.argmax(-1) == yb).sum(1).cpu()
            loss[s:s + chunk] += F.cross_entropy(z.transpose(1, 2), yb, reduction="none").sum(1).cpu()
    return correct / len(x), loss / len(x)


def default_chunk(n_models: int, device: torch.device) -> int:
    # CPU: chunks of 16 models (≈10 MB of conv1 activations at batch 32) measured fastest once
    # freed memory is reused (keep_freed_memory); the GPU wants one big program.
    return n_models if device.type == "cuda" else min(n_models, 16)


def train_cnn_zoo(arch: CNNArch, x_train: torch.Tensor, y_train: torch.Tensor,
                  x_test: torch.Tensor, y_test: torch.Tensor, seeds: list[int],
                  recipe: AdamRecipe, device: torch.device | str = "cpu",
                  chunk: int | None = None, record: bool = True,
                  show_progress: bool = True) -> WeightSet | torch.Tensor:
    """Train one run per seed, all at once. Returns the checkpoints at ``recipe.checkpoint_epochs``
    as a WeightSet (rows: run, seed, epoch, test_acc, test_loss), or with ``record=False`` only
    the final weights [N, D] (used by the benchmark)."""
    recipe.check()
    device = torch.device(device)
    if device.type == "cpu":
        keep_freed_memory()
    n, N = x_train.shape[0], len(seeds)
    X = x_train.to(device, torch.float32).reshape(n, *x_train.shape[-2:]).contiguous()
    Y = y_train.to(device, torch.long)
    Xte, Yte = x_test.to(device, torch.float32), y_test.to(device, torch.long)
    gens = [run_generator(s) for s in seeds]
    init = torch.cat([arch.init(g) for g in gens]).to(device)
    B, ipe = recipe.batch_size, recipe.iters_per_epoch(n)
    c = chunk or default_chunk(N, device)
    starts = list(range(0, N, c))
    # one set of leaf tensors per chunk of models: each chunk's backward writes its own gradients
    # (slicing one big leaf would scatter every chunk's gradient into a zero-filled full tensor)
    P = [[t.contiguous().requires_grad_() for t in arch.split(init[s:s + c])] for s in starts]
    opt = torch.optim.Adam([t for ch in P for t in ch], lr=recipe.lr,
                           weight_decay=recipe.weight_decay)

    def flat_weights() -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([flatten([t.detach() for t in ch], arch.layout) for ch in P])
    rows: dict[str, list] = {k: [] for k in ("run", "seed", "epoch", "test_acc", "test_loss")}
    kept = []
    bar = progress(total=recipe.epochs * ipe, desc=f"zoo {arch.tag} ×{N}",
                   disable=not show_progress or None)
    for epoch in range(1, recipe.epochs + 1):
        order = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)  # [N, n]
        for j in range(ipe):
            idx = order[:, j * B:(j + 1) * B]
            opt.zero_grad(set_to_none=True)
            for k, s in enumerate(starts):
                ic = idx[s:s + c]
                z = forward_params(P[k], X[ic], arch.activation, shared=False)
                # sum over runs of each run's mean loss: every run gets its own gradient
                loss = F.cross_entropy(z.reshape(-1, z.shape[-1]), Y[ic].reshape(-1),
                                       reduction="sum") / B
                loss.backward()
            opt.step()
            bar.update(1)
        if record and epoch in recipe.checkpoint_epochs:
            w = flat_weights()
            acc, tl = evaluate(arch, w, Xte, Yte)
            kept.append(w.cpu())
            for r in range(N):
                rows["run"].append(r)
                rows["seed"].append(int(seeds[r]))
                rows["epoch"].append(epoch)
                rows["test_acc"].append(float(acc[r]))
                rows["test_loss"].append(float(tl[r]))
    bar.close()
    if not record:
        return flat_weights().cpu()
    W = torch.cat(kept)
    order = sorted(range(len(W)), key=lambda i: (rows["run"][i], rows["epoch"][i]))
    rows = {k: [v[i] for i in order] for k, v in rows.items()}
    return WeightSet(W[torch.as_tensor(order)], arch.layout, arch.tag, rows)


def train_cnn_single(arch: CNNArch, x_train: torch.Tensor, y_train: torch.Tensor, seed: int,
                     recipe: AdamRecipe) -> torch.Tensor:
    """The naive way: one ``torch.nn`` CNN, ``torch.optim.Adam`` and autograd, for one run. Same
    init and data order as :func:`train_cnn_zoo`; returns the final flat weights [D]."""
    n = x_train.shape[0]
    X = x_train.float().reshape(n, 1, *x_train.shape[-2:])
    g = run_generator(seed)
    net = arch.module()
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(arch.init(g)[0], net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    B = recipe.batch_size
    for _ in range(recipe.epochs):
        order = torch.randperm(n, generator=g)
        for j in range(recipe.iters_per_epoch(n)):
            idx = order[j * B:(j + 1) * B]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(X[idx]), y_train[idx]).backward()
            opt.step()
    return torch.nn.utils.parameters_to_vector(net.parameters()).detach()
