"""Evaluation: behaviour of a weight set, per-model tables against the training set, distances.

``weights`` (plain / permutation-aligned nearest neighbours), ``behaviour`` (accuracy, error
masks, error-IoU similarity), ``shapes`` (meshes, point clouds, Chamfer), and one module per
behaviour kind of the method contract — ``classifier``, ``fields`` and ``weightspace`` (kind
``none``: weight space only) — each with the three hooks
the shared rules call: ``evaluate_behaviour``, ``evaluate_table``, ``draw_model_outputs``. A
method's own module may define any of them to replace its kind's (P-diff: behaviour inside the
frozen base network)."""
from __future__ import annotations

import importlib

KIND_MODULES = {"classifier": "weightmem.evaluation.classifier",
                "field": "weightmem.evaluation.fields",
                "none": "weightmem.evaluation.weightspace"}
HOOKS = ("evaluate_behaviour", "evaluate_table", "draw_model_outputs")


def hook(method, name: str):
    """The method's own ``name`` hook if its module defines one, else its behaviour kind's."""
    if name not in HOOKS:
        raise ValueError(f"unknown evaluation hook '{name}' (one of {HOOKS})")
    own = getattr(method.hooks(), name, None)
    return own or getattr(importlib.import_module(KIND_MODULES[method.behaviour]), name)
