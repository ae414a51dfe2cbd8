"""Permutation-aligned L2 beyond one hidden layer: the permutation structure of a layout and
weight matching (Ainsworth, Hayase & Srinivasa, "Git Re-Basin", ICLR 2023, §3.2).

**Structure** (:func:`recognise`). Hidden units of a feed-forward chain can be permuted without
changing the function: a permutation of layer k's output units permutes the rows of its weight,
its bias, the per-unit vectors of a norm layer after it (BatchNorm weight, bias, running_mean,
running_var; LayerNorm's affine) and the columns of layer k+1's weight. The layout (parameter
names and shapes) is read in network order (names with numbers as numbers, a module's weight
before its bias) and grouped into modules by name prefix; it is a chain when every module is

* a Linear layer: ``weight`` [o, i], optional ``bias`` [o];
* a convolution: ``weight`` [o, i, *kernel] (1-3 kernel axes), optional ``bias`` [o];
* a per-unit norm: only 1-D vectors of one size (weight, bias, running_mean, running_var),

and every layer's input size is the previous layer's output size. A Linear head after a conv
stack with ``i = c`` (global pooling) is channel-aligned; with ``i = c·s`` (``torch.flatten`` of
a [c, h, w] map, channel-major) its columns are permuted in blocks of s, one block per channel.
Everything else is declined (``None`` and the reason): a module of another kind, a size that does
not chain, a Linear → conv step, a 1-D vector whose size is not the hidden size it follows, and
names that mark skip connections or attention (``downsample``, ``shortcut``, ``skip``,
``residual``, ``attn`` …: a residual sum ties the permutations of the layers it joins) or group
norms (``gn``, ``groupnorm``: a permutation across groups is not a symmetry). A residual network
without such names whose shapes still chain would be taken for a chain: the structure is
inferred from names and shapes, not from the code that runs the model.

**Weight matching** (:func:`match`): coordinate descent over the hidden layers in random order
(from the identity, and from a forward pass that matches each layer by its incoming weights
alone, the layers before it already matched: that start recovers a hidden-permuted copy, which
the descent from the identity alone missed in 1 of 20 tiny-net cases of bench/weight_matching.py);
each step solves a linear assignment (``scipy.optimize.linear_sum_assignment``) that maximises
the summed inner products of the layer's incoming and outgoing weights and its vectors with the
reference's, the other layers' permutations fixed; it stops when a whole sweep improves nothing.
Starting from the identity, every step can only raise the inner product, so the matched distance
is at most the plain one (and the identity is kept if rounding says otherwise). It is an UPPER
BOUND of the true minimum over permutations (coordinate descent can stop in a local optimum);
with one hidden layer the one assignment is the exact optimum (the project's aligned L2,
:func:`weightmem.evaluation.weights.aligned_nearest`).

**Nearest neighbours** (:func:`matched_nearest`): matching every (target, reference) pair costs
one descent each, so only a shortlist is matched per target: its k plain-L2 nearest (the result
is then never above plain L2) and the ``shortlist`` nearest by a permutation-invariant LOWER
bound — per permuted tensor its values sorted (the rearrangement inequality: sorted order is the
best of all bijections of the values, the hidden permutations among them). Candidates are matched
in order of the bound; a target's search stops once the next bound exceeds its k-th matched
distance (no reference left can be closer even under its exact alignment). A target whose
nearest is not proven that way by the end of its shortlist is counted (``unproven``): its
distance is then an upper bound of the all-pairs matching too. The sorted-values bound is loose
between independent models (their value distributions are alike), so it proves near-copies' nearest
neighbours (the verdict's concern) but rarely the k-th of unrelated models: those are matched
over the shortlist only, an upper bound like the matching itself. Both sets are read by the streamed plain-L2 search
(:func:`weightmem.evaluation.weights.nearest_streamed`); the sorted copies of file-backed sets are
written to temporary files, one row block at a time.
"""
from __future__ import annotations

import itertools
import json
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

# module-name parts that mark a residual / attention / group-norm block (declined)
_DECLINE = re.compile(r"^(downsample|shortcut|skip|residual|res|identity|attn|attention|"
                      r"self_attn|embed|embedding|gn|groupnorm|group_norm)[_\d]*$", re.IGNORECASE)
_NORM_LEAVES = {"weight", "bias", "running_mean", "running_var"}
# candidates matched per target beyond its plain-L2 nearest (matched_nearest; the audit's tables)
SHORTLIST = 16


@dataclass(frozen=True)
class Part:
    """One tensor a hidden permutation acts on: ``offset`` in the flat vector, ``shape`` as
    viewed (a flatten-fed Linear's [o, c·s] as [o, c, s]), per axis the hidden group that
    permutes it (None: not permuted)."""
    name: str
    offset: int
    shape: tuple[int, ...]
    groups: tuple[int | None, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Structure:
    """The hidden groups (``sizes``: units per group) of a chain and the tensors they permute."""
    sizes: tuple[int, ...]
    parts: tuple[Part, ...]
    dim: int
    summary: str

    def touching(self, g: int) -> list[tuple[Part, int]]:
        return [(p, p.groups.index(g)) for p in self.parts if g in p.groups]


def natural_key(entry) -> tuple:
    """Sort key of a (name, shape) entry in network order: numbers as numbers (``layers.10``
    after ``layers.9``), a module's weight before its bias."""
    module, _, leaf = entry[0].rpartition(".")
    parts = [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", module)]
    return parts, {"weight": 0, "bias": 1}.get(leaf, 2), leaf


def recognise(layout) -> tuple[Structure | None, str]:
    """(structure, "") for a feed-forward chain (module docstring), else (None, why not)."""
    offsets, pos = {}, 0
    for name, shape in layout:
        offsets[name] = pos
        pos += math.prod(shape)
    modules: dict[str, list] = {}
    for name, shape in sorted(layout, key=natural_key):
        modules.setdefault(name.rpartition(".")[0], []).append((name, tuple(shape)))
    weighted, norms = [], []  # (module, entries, weight name, weight shape); (module, entries)
    for mod, entries in modules.items():
        bad = [t for t in mod.split(".") if _DECLINE.match(t)]
        if bad:
            return None, f"module '{mod}' looks like a skip connection, attention or group norm"
        leaves = {n.rpartition(".")[2]: s for n, s in entries}
        w = leaves.get("weight")
        if w is not None and 2 <= len(w) <= 5 and set(leaves) <= {"weight", "bias"} and (
                leaves.get("bias", (w[0],)) == (w[0],)):
            weighted.append((mod, entries, f"{mod}.weight" if mod else "weight", w))
        elif all(len(s) == 1 for _, s in entries) and set(leaves) <= _NORM_LEAVES and len(
                {s for _, s in entries}) == 1:
            norms.append((mod, entries))
        else:
            return None, f"module '{mod}' ({_show(entries)}) is not a Linear, conv or norm layer"
    if len(weighted) < 2:
        return None, "fewer than two Linear/conv layers: no hidden units to permute"
    chain, why = _chain(weighted)
    if chain is None:  # e.g. 'classifier' sorts before 'features': try the top-level orders
        tops = list(dict.fromkeys(m.split(".")[0] for m, *_ in weighted))
        found = []
        if len(tops) <= 6:
            for order in itertools.permutations(tops):
                if list(order) == tops:
                    continue
                rank = {t: r for r, t in enumerate(order)}
                c, _ = _chain(sorted(weighted, key=lambda e: rank[e[0].split(".")[0]]))
                if c is not None:
                    found.append(c)
        if len(found) != 1:
            return None, why + ("" if not found else f" (and {len(found)} other orders of "
                                                      f"{', '.join(tops)} chain: ambiguous)")
        chain = found[0]
    layers, sizes = chain
    out_group = {mod: g for mod, g, _ in layers}  # a weighted module → its output group
    outputs = {mod: shape[0] for mod, *_, shape in weighted}
    parts = []
    for mod, g, view in layers:
        entries = next(e for m, e, *_ in weighted if m == mod)
        for n, s in entries:
            if n.endswith("weight") and len(s) >= 2:
                g_in = next((gi for m2, gi in _inputs(layers) if m2 == mod), None)
                parts.append(Part(n, offsets[n], view, (g, g_in) + (None,) * (len(view) - 2)))
            elif g is not None:
                parts.append(Part(n, offsets[n], s, (g,)))
    order = [m for m, *_ in weighted]
    for mod, entries in norms:
        host = _host(mod, order, list(modules))
        c = entries[0][1][0]
        units = outputs[host] if host else next(s for m, *_, s in weighted if m == layers[0][0])[1]
        if c != units:
            return None, (f"norm '{mod}' has {c} units "
                          + (f"after '{host}' with {units}" if host else f"before {units} inputs"))
        if host and out_group[host] is not None:  # input and output norms are not permuted
            parts += [Part(n, offsets[n], s, (out_group[host],)) for n, s in entries]
    parts = [p for p in parts if any(g is not None for g in p.groups)]
    first, last = layers[0], layers[-1]
    w_first = next(s for m, _, _, s in weighted if m == first[0])
    w_last = next(s for m, _, _, s in weighted if m == last[0])
    kinds = {len(s) for *_, s in weighted}
    summary = ("MLP " if kinds == {2} else "conv chain ") + "-".join(
        str(x) for x in (w_first[1], *sizes, w_last[0])) + (" with norm layers" if norms else "")
    return Structure(tuple(sizes), tuple(parts), pos, summary), ""


def _chain(weighted):
    """([(module, output group or None, weight view)], hidden sizes) when the weighted layers
    chain in this order, else (None, why)."""
    layers, sizes, prev = [], [], None  # prev: (is conv, channels, group)
    for k, (mod, _, wname, w) in enumerate(weighted):
        o, i, conv = w[0], w[1], len(w) > 2
        view = w
        if prev is not None:
            if conv and not prev[0]:
                return None, f"conv '{mod}' after a Linear layer"
            if i != prev[1]:
                if conv or not prev[0] or i % prev[1]:
                    return None, (f"'{wname}' {list(w)} takes {i} inputs after a layer with "
                                  f"{prev[1]} outputs")
                view = (o, prev[1], i // prev[1])  # flatten of [c, h, w]: a block a channel
        g = None if k == len(weighted) - 1 or o < 2 else len(sizes)
        if g is not None:
            sizes.append(o)
        layers.append((mod, g, view))
        prev = (conv, o, g)
    return (layers, sizes), ""


def _inputs(layers):
    """(module, group of its input units) for every layer of a chain."""
    return [(mod, layers[k - 1][1] if k else None) for k, (mod, _, _) in enumerate(layers)]


def _host(norm: str, weighted: list[str], modules: list[str]) -> str | None:
    """The layer a norm module follows: the one with the same parent and numbers (``bn1`` →
    ``conv1``, ``layer.0.bn2`` → ``layer.0.conv2``) if there is exactly one, else the last
    weighted module before it in network order (None: it comes first)."""
    def numbers(m):
        return m.rpartition(".")[0], re.findall(r"\d+", m.rpartition(".")[2])

    same = [m for m in weighted if numbers(m) == numbers(norm) and numbers(norm)[1]]
    if len(same) == 1:
        return same[0]
    before = [m for m in modules[:modules.index(norm)] if m in weighted]
    return before[-1] if before else None


def permutation_structure(layout) -> Structure | None:
    return recognise(layout)[0]


def _show(entries) -> str:
    return ", ".join(f"{n} {list(s)}" for n, s in entries)


# ------------------------------------------------------------------ weight matching
def _view(x: np.ndarray, p: Part) -> np.ndarray:
    return x[p.offset:p.offset + p.size].reshape(p.shape)


def _permuted(x: np.ndarray, p: Part, perms, skip: int | None = None) -> np.ndarray:
    """Part ``p`` of ``x`` with every grouped axis but ``skip`` permuted (unit j ← perm[j])."""
    v = _view(x, p)
    for ax, g in enumerate(p.groups):
        if g is not None and g != skip:
            v = np.take(v, perms[g], axis=ax)
    return v


def apply(structure: Structure, x: np.ndarray, perms) -> np.ndarray:
    """A copy of the flat vector ``x`` with its hidden units permuted: unit j of group g takes
    unit ``perms[g][j]`` (the reference in the target's unit order, as :func:`match` returns)."""
    out = np.array(x, dtype=np.float64, copy=True)
    for p in structure.parts:
        out[p.offset:p.offset + p.size] = _permuted(np.asarray(x, np.float64), p, perms).ravel()
    return out


class _Target:
    """A target's parts moved to [units, rest] per (group, part): reused over its references."""

    def __init__(self, structure: Structure, a: np.ndarray):
        self.rows = {g: [np.moveaxis(_view(a, p), ax, 0).reshape(structure.sizes[g], -1)
                         for p, ax in structure.touching(g)] for g in range(len(structure.sizes))}


def _cost(structure, target: _Target, b, perms, g: int, incoming_only: bool = False):
    """[target unit, reference unit] summed inner products of group ``g``'s tensors, the other
    groups' permutations applied to ``b`` (``incoming_only``: the tensors ``g`` is the output
    axis of — the weight and vectors of the layer that makes it)."""
    n = structure.sizes[g]
    cost = np.zeros((n, n))
    for a_rows, (p, ax) in zip(target.rows[g], structure.touching(g)):
        if incoming_only and ax != 0:
            continue
        b_rows = np.moveaxis(_permuted(b, p, perms, skip=g), ax, 0).reshape(n, -1)
        cost += a_rows @ b_rows.T
    return cost


def _forward(structure, target: _Target, b) -> list[np.ndarray]:
    """A start: each group in network order matched by its incoming tensors alone, the groups
    before it already permuted (recovers a permuted copy whatever the later layers say)."""
    perms = [np.arange(n) for n in structure.sizes]
    for g in range(len(structure.sizes)):
        perms[g] = linear_sum_assignment(_cost(structure, target, b, perms, g, True),
                                         maximize=True)[1]
    return perms


def _descend(structure, target: _Target, b, perms, rng, max_sweeps: int):
    """Coordinate descent from ``perms`` (changed in place) until a sweep changes nothing."""
    for _ in range(max_sweeps):
        changed = False
        for g in rng.permutation(len(structure.sizes)):
            cost = _cost(structure, target, b, perms, g)
            _, col = linear_sum_assignment(cost, maximize=True)
            r = np.arange(len(col))
            gain = cost[r, col].sum() - cost[r, perms[g]].sum()
            if gain > 1e-12 * max(1.0, np.abs(cost).max()):
                perms[g] = col
                changed = True
        if not changed:
            break
    return perms


def match(structure: Structure, a, b, restarts: int = 0, seed: int = 0, max_sweeps: int = 100,
          target: _Target | None = None) -> tuple[float, list[np.ndarray]]:
    """(matched L2, permutations) of reference ``b`` onto target ``a`` (flat [D] vectors):
    weight matching from two starts — the identity and a forward pass (:func:`_forward`) — and
    ``restarts`` random ones, the best kept, never above plain L2 (module docstring).
    ``apply(structure, b, perms)`` is the aligned reference."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    rng = np.random.default_rng(seed)
    target = target or _Target(structure, a)
    ident = [np.arange(n) for n in structure.sizes]
    best_d, best_p = float(np.linalg.norm(a - b)), ident
    starts = [ident] + ([_forward(structure, target, b)] if len(structure.sizes) > 1 else [])
    starts += [[rng.permutation(n) for n in structure.sizes] for _ in range(restarts)]
    for start in starts:
        perms = _descend(structure, target, b, [p.copy() for p in start], rng, max_sweeps)
        d = float(np.linalg.norm(a - apply(structure, b, perms)))  # exact, not |a|²+|b|²−2ab
        if d < best_d:
            best_d, best_p = d, perms
    return best_d, best_p


def invariant_embedding(x: torch.Tensor, structure: Structure) -> torch.Tensor:
    """[n, D] → [n, D]: every permuted tensor's values sorted, the rest as is. The L2 between
    two embeddings is a lower bound of the aligned L2 (module docstring)."""
    out = x.clone()
    for p in structure.parts:
        out[:, p.offset:p.offset + p.size] = x[:, p.offset:p.offset + p.size].sort(dim=1).values
    return out


def _embedded(source, structure: Structure, tmp: Path, memory: float):
    """The invariant embedding of a column source, in memory (an ArraySource) or, for a file
    source, written to a temporary WeightSet-shaped file one row block at a time."""
    from weightmem.evaluation.weights import ArraySource

    if isinstance(source, ArraySource):
        return ArraySource(invariant_embedding(source.weights, structure))
    from weightmem.audit import FileSource

    n, d = source.n, source.dim
    path = tmp / f"sorted{id(source)}.safetensors"
    head = json.dumps({"weights": {"dtype": "F32", "shape": [n, d],
                                   "data_offsets": [0, n * d * 4]}}).encode()
    head += b" " * (-len(head) % 8)
    rows = max(1, int(memory // (8 * d)))
    with open(path, "wb") as f:
        f.write(len(head).to_bytes(8, "little") + head)
        for s in range(0, n, rows):
            block = source.columns(0, d, rows=range(s, min(n, s + rows)))
            f.write(invariant_embedding(block, structure).contiguous().numpy().tobytes())
    return FileSource(path)


@dataclass
class MatchStats:
    pairs: int = 0          # (target, reference) pairs matched
    unproven: int = 0       # targets whose NEAREST the bound did not prove beyond the shortlist
    targets: int = 0

    def line(self, shortlist: int) -> str:
        return (f"weight matching: {self.pairs} pairs matched for {self.targets} models "
                f"(≤ {shortlist} candidates by the sorted-values lower bound + the plain-L2 "
                f"nearest); {self.unproven} model(s) whose nearest the bound did not prove "
                f"beyond the shortlist (an upper bound of matching every training model too; "
                f"second-nearest distances are upper bounds of that in any case)")


def matched_nearest(target, ref, structure: Structure, k: int = 2, exclude_self: bool = False,
                    shortlist: int = 16, memory: float = 256e6, restarts: int = 0, seed: int = 0,
                    tmpdir=None, progress=None):
    """k nearest references by weight-matched L2 for every target row (module docstring):
    (distances [M, k] float32, indices [M, k], permutations [M][k] lists, MatchStats). Sources
    as :func:`weightmem.evaluation.weights.nearest_streamed` reads them; non-finite rows get
    +inf, as there."""
    from weightmem.evaluation.weights import nearest_streamed

    same = target is ref
    kk = min(k, ref.n - (1 if exclude_self else 0))
    plain_d, plain_i = nearest_streamed(target, ref, k=kk, exclude_self=exclude_self,
                                        memory=memory)
    with tempfile.TemporaryDirectory(dir=tmpdir, prefix="weightmem-match-") as tmp:
        et = _embedded(target, structure, Path(tmp), memory)
        er = et if same else _embedded(ref, structure, Path(tmp), memory)
        s = min(max(shortlist, kk), ref.n - (1 if exclude_self else 0))
        lb_d, lb_i = nearest_streamed(et, er, k=s, exclude_self=exclude_self, memory=memory)
        del et, er
    M, D = target.n, target.dim
    dist = torch.full((M, kk), float("inf"))
    idx = plain_i.clone()
    perms: list[list] = [[None] * kk for _ in range(M)]
    stats = MatchStats(targets=M)
    rows = range(M)
    for m in (progress(rows) if progress else rows):
        if not torch.isfinite(plain_d[m, 0]):
            continue  # a non-finite target (or no finite reference): +inf, as plain L2 says
        a = target.columns(0, D, rows=[m])[0].numpy().astype(np.float64)
        tgt = _Target(structure, a)
        found: dict[int, tuple[float, list]] = {}

        def visit(n: int) -> None:
            if n in found:
                return
            b = ref.columns(0, D, rows=[n])[0].numpy().astype(np.float64)
            found[n] = match(structure, a, b, restarts=restarts, seed=seed, target=tgt)
            stats.pairs += 1

        for d_plain, n in zip(plain_d[m].tolist(), plain_i[m].tolist()):
            if math.isfinite(d_plain):  # never above plain L2
                visit(n)
        proven = False
        for bound, n in zip(lb_d[m].tolist(), lb_i[m].tolist()):
            if not math.isfinite(bound):
                proven = True  # no finite reference left
                break
            best = sorted(d for d, _ in found.values())
            if len(best) >= kk and bound > best[kk - 1]:
                proven = True  # every reference left is at least this far, even exactly aligned
                break
            visit(n)
        best = sorted(found.items(), key=lambda t: (t[1][0], t[0]))[:kk]
        if not proven and s < ref.n - (1 if exclude_self else 0) and best and not (
                lb_d[m, -1] > best[0][1][0]):
            stats.unproven += 1  # a reference beyond the shortlist might match closer
        for j, (n, (d, p)) in enumerate(best):
            dist[m, j], idx[m, j], perms[m][j] = d, n, p
    return dist, idx, perms, stats


def distance_note(distance: str, layout, model: bool = False) -> str:
    """What the audit's weight distance is, in words (verdict.json, report.html)."""
    if distance == "aligned":
        return "exact: permutation-aligned L2 (one-hidden-layer MLP, one linear assignment)"
    structure, why = recognise(layout)
    if distance == "matched" and structure is not None:
        return (f"upper bound (weight matching, Git Re-Basin) over the hidden permutations of a "
                f"{structure.summary}")
    if model:
        return "plain L2: the network is the researcher's function (its symmetries unknown here)"
    return f"plain L2: no permutation symmetry used ({why or 'not asked for'})"
