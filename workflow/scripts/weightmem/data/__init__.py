"""Datasets: packaged image sets (scikit-learn digits), downloads with checksums (MNIST, SVHN,
CIFAR-100), procedural and user meshes (``shapes``). ``build`` picks an image set by config name."""
from __future__ import annotations

from weightmem.data.images import DataError, ImageData, cifar100, digits, mnist
from weightmem.data.svhn import svhn

BUILDERS = {"digits": digits, "mnist": mnist, "cifar100": cifar100, "svhn": svhn}


def build(name: str, params: dict) -> ImageData:
    """Dataset by config name (the ``dataset`` rule calls this)."""
    if name not in BUILDERS:
        raise DataError(f"unknown dataset '{name}' (known: {', '.join(BUILDERS)})")
    return BUILDERS[name](**params)
