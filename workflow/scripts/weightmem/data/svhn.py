"""SVHN (cropped digits) as the Hyper-Representations zoo uses it: 1×28×28 grayscale
(docs/hyperrep.md §1.1; the study's exact conversion is not stated).

The two official MATLAB files are downloaded once and verified by MD5 (the sums torchvision checks
too) with the shared :func:`~weightmem.data.images.fetch_files`. Conversion: ITU-R 601 luma
(0.299 R + 0.587 G + 0.114 B) scaled to [0, 1], antialiased bilinear resize 32→28, label 10 → 0,
standardised with the training split's pixel mean/std. MATLAB files are read with
:func:`scipy.io.loadmat` (a plain array format: nothing is unpickled).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from weightmem.data.images import DataError, ImageData, fetch_files, resize

# Checked against torchvision's list (pytorch/vision, torchvision/datasets/svhn.py, SVHN.split_list
# at commit 0318698f): train and test agree.
SVHN_FILES = {
    "train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373",
    "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3",
}
SVHN_MIRRORS = ("http://ufldl.stanford.edu/housenumbers/",)
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def read_split(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N, 32, 32, 3], labels 0..9 [N]) from one SVHN .mat file."""
    from scipy.io import loadmat

    try:
        m = loadmat(str(path))
    except (OSError, ValueError, TypeError) as e:
        raise DataError(f"{path}: not a readable SVHN .mat file ({e})") from e
    if "X" not in m or "y" not in m:
        raise DataError(f"{path}: SVHN file must hold arrays 'X' and 'y'")
    x, y = m["X"], np.asarray(m["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[2] != 3 or x.shape[3] != len(y):
        raise DataError(f"{path}: expected X of shape [32, 32, 3, N] matching {len(y)} labels, "
                        f"got {x.shape}")
    if y.min() < 1 or y.max() > 10:
        raise DataError(f"{path}: SVHN labels must be 1..10, found {y.min()}..{y.max()}")
    return np.transpose(x, (3, 0, 1, 2)), (y % 10).astype(np.int64)


def to_gray28(x: np.ndarray, size: int = 28) -> np.ndarray:
    gray = (x.astype(np.float32) / 255.0) @ LUMA  # [N, 32, 32]
    return resize(gray[:, None], size)


def svhn(root: str | os.PathLike, download_ok: bool = True, image_size: int = 28,
         files: dict[str, str] = SVHN_FILES, mirrors: tuple[str, ...] = SVHN_MIRRORS) -> ImageData:
    fetch_files(files, root, mirrors, download_ok)
    root = Path(root)
    train_name, test_name = list(files)
    xtr, ytr = read_split(root / train_name)
    xte, yte = read_split(root / test_name)
    xtr, xte = to_gray28(xtr, image_size), to_gray28(xte, image_size)
    mean, std = float(xtr.mean()), float(xtr.std())
    return ImageData(((xtr - mean) / std).astype(np.float32), ytr,
                     ((xte - mean) / std).astype(np.float32), yte, "svhn")
