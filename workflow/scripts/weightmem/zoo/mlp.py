"""Batched training of checkpoint zoos: many small classifiers in one tensor program.

Every run keeps what makes it a separate run in the study (docs/gpt.md §1.3-1.4): its own seed, its own
initialisation, its own data order every epoch and its own random choice of stored iterations. The
random draws of one run come from one ``torch.Generator`` in a fixed order (init → stored
iterations → one permutation per epoch), so :func:`train_mlp_single` (a plain per-model
``torch.nn`` + ``torch.optim.SGD`` loop) reproduces any run of :func:`train_mlp_zoo` exactly; the
test suite checks this.

Why it is fast (bench/zoo_training.py measures it): gradients are written by hand (no autograd
graph for N models), the SGD/Nesterov update is one fused pass over an [N, D] tensor, and the models
are processed in cache-sized chunks so that each chunk's gathered minibatch [c, B, in] is read by the
forward and the weight-gradient products while it is still in cache, instead of streaming an
[N, B, in] tensor through memory three times per step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from weightmem.io import WeightSet, flatten, unflatten
from weightmem.nets.mlp import MLPArch
from weightmem.runtime import progress


@dataclass(frozen=True)
class SGDRecipe:
    """The G.pt zoo recipe (docs/gpt.md §1.3): SGD, Nesterov, cosine set once per epoch."""

    epochs: int = 25
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    checkpoints_per_run: int = 200  # init + (k-2) random iterations + final

    def iters_per_epoch(self, n_train: int) -> int:
        return n_train // self.batch_size  # drop_last

    def lr_at_epoch(self, epoch: int) -> float:
        return 0.5 * self.lr * (1 + math.cos(math.pi * epoch / self.epochs))


@dataclass
class RunPlan:
    """All random choices of one run, drawn in a fixed order from the run's generator."""

    init: torch.Tensor  # [D]
    stored: list[int]  # sorted iterations whose checkpoints are kept (0 = init, last = final)
    generator: torch.Generator  # continues with one permutation per epoch

    def epoch_order(self, n_train: int) -> torch.Tensor:
        return torch.randperm(n_train, generator=self.generator)


def run_plan(arch: MLPArch, seed: int, recipe: SGDRecipe, n_train: int) -> RunPlan:
    g = torch.Generator().manual_seed(int(seed))
    init = arch.init(g)[0]
    total = recipe.epochs * recipe.iters_per_epoch(n_train)
    k = recipe.checkpoints_per_run - 2
    if k < 0 or k > total - 1:
        raise ValueError(f"checkpoints_per_run={recipe.checkpoints_per_run} does not fit "
                         f"{total} iterations")
    middle = (torch.randperm(total - 1, generator=g)[:k] + 1).sort().values.tolist()
    return RunPlan(init, [0] + middle + [total], g)


def _ce_and_err(z: torch.Tensor, y: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and error (%) per model; logits [c, B, o] (``dim=-1``) or [c, o, B]."""
    lse = torch.logsumexp(z, dim=dim)
    picked = torch.gather(z, dim, y.unsqueeze(dim)).squeeze(dim)
    loss = (lse - picked).mean(dim=1)
    err = (z.argmax(dim) != y).float().mean(dim=1) * 100
    return loss, err


def _split(arch: MLPArch, flat: torch.Tensor) -> list[torch.Tensor]:
    """[N, D] → contiguous [W1 [N,h,i], b1 [N,h], W2 [N,o,h], b2 [N,o]] (batched products want
    contiguous per-model matrices; a strided view of one [N, D] buffer makes bmm loop per model)."""
    return [t.contiguous() for t in unflatten(flat, arch.layout).values()]


def _step_chunk(params: list[torch.Tensor], grads: list[torch.Tensor], xb: torch.Tensor,
                yb: torch.Tensor, want_loss: bool) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Forward + hand-written backward for a chunk of models; writes into ``grads``.

    Activations are kept feature-major ([c, features, B]): the softmax over 10 classes then runs
    along a strided axis with the batch contiguous, which CPUs vectorise well (a softmax over a
    contiguous axis of length 10 measured 15× slower here).
    """
    W1, b1, W2, b2 = params
    gW1, gb1, gW2, gb2 = grads
    B = xb.shape[1]
    pre = torch.baddbmm(b1[:, :, None], W1, xb.transpose(1, 2))  # [c, h, B]
    act = torch.relu(pre)
    z = torch.baddbmm(b2[:, :, None], W2, act)  # [c, o, B]
    stats = _ce_and_err(z, yb, dim=1) if want_loss else None
    dz = torch.softmax(z, dim=1)
    dz.scatter_add_(1, yb[:, None, :], torch.full_like(dz[:, :1], -1.0)).div_(B)
    torch.bmm(dz, act.transpose(1, 2), out=gW2)
    torch.sum(dz, dim=2, out=gb2)
    dpre = torch.bmm(W2.transpose(1, 2), dz).mul_(pre > 0)
    torch.bmm(dpre, xb, out=gW1)
    torch.sum(dpre, dim=2, out=gb1)
    return stats


def _default_chunk(arch: MLPArch, batch: int, n_models: int, device: torch.device) -> int:
    if device.type == "cuda":
        return n_models  # the GPU wants one big program
    per_model = batch * (arch.n_in + 2 * arch.hidden + 2 * arch.n_out) * 4
    # ~3 MiB working set per chunk: stays in cache between the forward and the gradient products
    return max(1, min(n_models, (3 << 20) // per_model))


def train_mlp_zoo(arch: MLPArch, x_train: torch.Tensor, y_train: torch.Tensor,
                  x_test: torch.Tensor, y_test: torch.Tensor, seeds: list[int],
                  recipe: SGDRecipe, device: torch.device | str = "cpu",
                  chunk: int | None = None, record: bool = True,
                  show_progress: bool = True) -> WeightSet | torch.Tensor:
    """Train one run per seed, all at once. Returns the stored checkpoints as a WeightSet
    (rows: run, step, epoch, train_loss, train_err, test_loss, test_err) or, with
    ``record=False``, only the final weights [N, D] (used by the benchmark)."""
    device = torch.device(device)
    n, N = x_train.shape[0], len(seeds)
    X = x_train.reshape(n, -1).to(device, torch.float32).contiguous()
    Y = y_train.to(device, torch.long)
    Xte = x_test.reshape(x_test.shape[0], -1).to(device, torch.float32)
    Yte = y_test.to(device, torch.long)
    plans = [run_plan(arch, s, recipe, n) for s in seeds]
    P = _split(arch, torch.stack([p.init for p in plans]).to(device))
    M = [torch.zeros_like(t) for t in P]
    G = [torch.empty_like(t) for t in P]
    ipe = recipe.iters_per_epoch(n)
    total = recipe.epochs * ipe
    B = recipe.batch_size
    c = chunk or _default_chunk(arch, B, N, device)

    # which runs store a checkpoint at which iteration
    store_at: dict[int, list[int]] = {}
    for r, p in enumerate(plans):
        for t in p.stored:
            store_at.setdefault(t, []).append(r)
    rows: dict[str, list] = {k: [] for k in
                             ("run", "seed", "step", "epoch", "train_loss", "train_err",
                              "test_loss", "test_err")}
    kept: list[torch.Tensor] = []

    def store(t: int, runs: list[int], tr_loss: torch.Tensor, tr_err: torch.Tensor) -> None:
        sel = torch.tensor(runs, device=device)
        w = flatten([t[sel] for t in P], arch.layout)
        te_loss, te_err = _ce_and_err(arch.forward(w, Xte), Yte.expand(len(runs), -1))
        kept.append(w.cpu())
        for j, r in enumerate(runs):
            rows["run"].append(r)
            rows["seed"].append(int(seeds[r]))
            rows["step"].append(t)
            rows["epoch"].append(t / ipe)
            rows["train_loss"].append(float(tr_loss[j]))
            rows["train_err"].append(float(tr_err[j]))
            rows["test_loss"].append(float(te_loss[j]))
            rows["test_err"].append(float(te_err[j]))

    bar = progress(total=total, desc=f"zoo {arch.tag} ×{N}", disable=not show_progress or None)
    for epoch in range(recipe.epochs):
        order = torch.stack([p.epoch_order(n) for p in plans]).to(device)  # [N, n]
        if record and epoch == 0 and 0 in store_at:
            runs = store_at[0]
            idx = order[runs, :B]
            z = arch.forward(flatten([t[runs] for t in P], arch.layout), X[idx])
            store(0, runs, *_ce_and_err(z, Y[idx]))
        lr = recipe.lr_at_epoch(epoch)
        for j in range(ipe):
            t = epoch * ipe + j + 1
            idx = order[:, j * B:(j + 1) * B]
            want = record and t in store_at
            losses = []
            for s in range(0, N, c):
                ic = idx[s:s + c]
                xb = X.index_select(0, ic.reshape(-1)).view(ic.shape[0], B, -1)
                loss = _step_chunk([t[s:s + c] for t in P], [g[s:s + c] for g in G], xb,
                                   Y[idx[s:s + c]], want)
                if want:
                    losses.append(loss)
            # SGD with Nesterov momentum and coupled weight decay, exactly as torch.optim.SGD
            torch._foreach_add_(G, P, alpha=recipe.weight_decay)
            torch._foreach_mul_(M, recipe.momentum)
            torch._foreach_add_(M, G)
            torch._foreach_add_(G, M, alpha=recipe.momentum)
            torch._foreach_add_(P, G, alpha=-lr)
            if want:
                runs = store_at[t]
                # minibatch loss/error measured before the update (docs/gpt.md §1.4)
                tr_loss = torch.cat([l for l, _ in losses])[runs]
                tr_err = torch.cat([e for _, e in losses])[runs]
                store(t, runs, tr_loss, tr_err)
            bar.update(1)
    bar.close()
    if not record:
        return flatten(P, arch.layout).cpu()
    weights = torch.cat(kept)
    order_rows = np.lexsort((np.array(rows["step"]), np.array(rows["run"])))
    rows = {k: [v[i] for i in order_rows] for k, v in rows.items()}
    return WeightSet(weights[torch.as_tensor(order_rows)], arch.layout, arch.tag, rows)


def train_mlp_single(arch: MLPArch, x_train: torch.Tensor, y_train: torch.Tensor, seed: int,
                     recipe: SGDRecipe) -> torch.Tensor:
    """The naive way: one ``torch.nn`` model, ``torch.optim.SGD`` and autograd, for one run.
    Same plan (init, data order) as :func:`train_mlp_zoo`; returns the final flat weights [D]."""
    n = x_train.shape[0]
    X = x_train.reshape(n, -1).float()
    plan = run_plan(arch, seed, recipe, n)
    net = torch.nn.Sequential(torch.nn.Linear(arch.n_in, arch.hidden), torch.nn.ReLU(),
                              torch.nn.Linear(arch.hidden, arch.n_out))
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(plan.init, net.parameters())
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay, nesterov=True)
    B, ipe = recipe.batch_size, recipe.iters_per_epoch(n)
    for epoch in range(recipe.epochs):
        order = plan.epoch_order(n)
        for g in opt.param_groups:
            g["lr"] = recipe.lr_at_epoch(epoch)
        for j in range(ipe):
            idx = order[j * B:(j + 1) * B]
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(X[idx]), y_train[idx]).backward()
            opt.step()
    return torch.nn.utils.parameters_to_vector(net.parameters()).detach()
