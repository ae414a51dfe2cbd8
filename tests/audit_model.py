"""A researcher's network as `weightmem audit --model tests/audit_model.py:predict` sees it
(weightmem.nets.custom): a one-hidden-layer MLP written without weightmem, from the flat weights
and the layout (parameter names, shapes) of the audited state dicts."""
import math

import torch


def predict(weights, layout, x):
    """weights [B, D], layout [(name, shape)], x [n, C, H, W] → logits [B, n, classes]."""
    p, start = {}, 0
    for name, shape in layout:
        size = math.prod(shape)
        p[name] = weights[:, start:start + size].reshape(len(weights), *shape)
        start += size
    x = x.reshape(len(x), -1)
    h = torch.relu(torch.einsum("ni,bhi->bnh", x, p["net.0.weight"]) + p["net.0.bias"][:, None])
    return torch.einsum("bnh,boh->bno", h, p["net.2.weight"]) + p["net.2.bias"][:, None]


def predict_classes(weights, layout, x):
    """The same network, returning predicted classes [B, n] (integers)."""
    return predict(weights, layout, x).argmax(-1)
