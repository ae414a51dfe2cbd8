"""A researcher's own network, run by a function of theirs (``weightmem audit --model
module:function``), so that any generator's classifiers get behaviour (accuracy, error masks,
error-IoU similarity) beside the built-in MLP and CNN.

The calling convention::

    def predict(weights, layout, x):
        # weights: float32 tensor [B, D], B models (at most 64 at a time), each a row of the
        #          audited parameters flattened in ``layout`` order (row-major per tensor)
        # layout:  list of (parameter name, shape) pairs — the audited state dict's floating-point
        #          tensors (those --keys kept), sorted by name
        # x:       float32 tensor [n, C, H, W] — the data set's test images as the project's
        #          classifiers see them (weightmem.data.images), on the same device as weights
        # returns: logits [B, n, classes] (float), or predicted classes [B, n] (integer)
        ...

``weightmem.io.unflatten(weights, layout)`` gives ``{name: [B, *shape]}`` views, e.g. for
``torch.func.functional_call(torch.func.vmap(...))`` over the researcher's ``nn.Module``. A
non-finite logit counts as an error (and flags the model as diverged), as for the built-in nets.

The WeightSet's architecture tag is ``custom:<module>:<function>`` (``<module>``: a dotted name
importable from the working directory ``weightmem audit`` ran in, or a ``.py`` path); its layout
is the file's (no layout is implied, as for plain ``custom``).
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from pathlib import Path
from typing import Callable

import torch

from weightmem.io import Layout, normalise_layout


def load_callable(spec: str) -> Callable:
    """The function ``module:function`` names (``module``: dotted name or ``.py`` path);
    ValueError saying what is missing."""
    module, sep, name = spec.rpartition(":")
    if not sep or not module or not name:
        raise ValueError(f"--model '{spec}': expected module:function (a dotted module name or "
                         f"a .py path, then the function's name)")
    try:
        if module.endswith(".py"):
            path = Path(module).resolve()
            if not path.is_file():
                raise ValueError(f"--model '{spec}': no file {path}")
            key = f"weightmem_model_{abs(hash(str(path)))}"
            mod = sys.modules.get(key)
            if mod is None:
                s = importlib.util.spec_from_file_location(key, path)
                mod = importlib.util.module_from_spec(s)
                s.loader.exec_module(mod)
                sys.modules[key] = mod
        else:
            mod = importlib.import_module(module)
    except ImportError as e:
        raise ValueError(f"--model '{spec}': cannot import {module} ({e}); give a .py path or "
                         f"run weightmem audit where the module is importable") from e
    fn = getattr(mod, name, None)
    if not callable(fn):
        raise ValueError(f"--model '{spec}': {module} has no function '{name}'")
    return fn


class CallableArch:
    """An architecture-like object (``forward(flat [B, D], x) → logits [B, n, classes]``) around
    a researcher's function (module docstring)."""

    def __init__(self, spec: str, layout: Layout):
        self.spec = spec
        self.layout = normalise_layout(layout)
        self.dim = int(sum(math.prod(s) for _, s in self.layout))
        self.fn = load_callable(spec)

    @property
    def tag(self) -> str:
        return f"custom:{self.spec}"

    def forward(self, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if flat.shape[-1] != self.dim:
            raise ValueError(f"--model {self.spec}: weights have D={flat.shape[-1]}, the layout "
                             f"{self.dim}")
        out = self.fn(flat, self.layout, x)
        want = (flat.shape[0], x.shape[0])
        if not torch.is_tensor(out):
            raise ValueError(f"--model {self.spec} returned {type(out).__name__}; expected a "
                             f"tensor of logits [{want[0]}, {want[1]}, classes] or classes "
                             f"[{want[0]}, {want[1]}]")
        if not out.is_floating_point():  # predicted classes → one-hot logits (argmax = class)
            if tuple(out.shape) != want:
                raise ValueError(f"--model {self.spec} returned classes of shape "
                                 f"{list(out.shape)}; expected {list(want)} (models, inputs)")
            if out.numel() and int(out.min()) < 0:
                raise ValueError(f"--model {self.spec} returned a negative class")
            n = int(out.max()) + 1 if out.numel() else 1
            return torch.nn.functional.one_hot(out.long(), n).to(torch.float32)
        if out.dim() != 3 or tuple(out.shape[:2]) != want:
            raise ValueError(f"--model {self.spec} returned logits of shape {list(out.shape)}; "
                             f"expected [{want[0]}, {want[1]}, classes] (models, inputs, classes)")
        return out
