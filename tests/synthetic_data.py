"""Synthetic stand-ins for the paper's data sets, written in each data set's *published file
format* so that the real loaders (and their MD5 checks) read them:

* MNIST: four gzip-compressed IDX files (``train-images-idx3-ubyte.gz`` …);
* SVHN: ``train_32x32.mat`` / ``test_32x32.mat`` (MATLAB v5, ``X`` uint8 [32, 32, 3, N], ``y``
  [N, 1] with labels 1..10, 10 meaning digit 0);
* CIFAR-100: ``cifar-100-binary.tar.gz`` holding ``cifar-100-binary/{train,test}.bin`` (records
  of coarse label, fine label, 3,072 bytes of R, G, B planes) and the two label-name files;
* ShapeNet (HyperDiffusion): a folder of closed ``.obj`` meshes named by 32-hex ids, like
  ``02691156/<id>.obj`` after ManifoldPlus, plus ``{train,val,test}_split.lst`` files as the
  released HyperDiffusion split uses;
* an ImageNet ResNet-18 state dict converted to safetensors (what README tells a user to make).

Images carry a weak class signal (a class-dependent bright patch) so that training moves. Every
writer returns ``{file name: MD5}`` of what it wrote (the checksums the test supplies in place of
the real data sets' published ones).
"""
from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _images(rng: np.random.Generator, n: int, classes: int, shape: tuple[int, ...]):
    """uint8 images [n, *shape] (shape ends with H, W) with labels 0..classes-1."""
    y = rng.integers(0, classes, n)
    x = rng.integers(0, 96, (n, *shape)).astype(np.int64)
    h, w = shape[-2:]
    for i, c in enumerate(y):  # a 6×6 bright patch whose position encodes the class
        r0, c0 = (3 * c) % (h - 6), (7 * c) % (w - 6)
        x[i, ..., r0:r0 + 6, c0:c0 + 6] += 150
    return np.clip(x, 0, 255).astype(np.uint8), y


def write_mnist(folder: Path, n_train: int, n_test: int, seed: int = 0) -> dict[str, str]:
    from weightmem.data.images import write_idx

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    xtr, ytr = _images(rng, n_train, 10, (28, 28))
    xte, yte = _images(rng, n_test, 10, (28, 28))
    arrays = {"train-images-idx3-ubyte.gz": xtr, "train-labels-idx1-ubyte.gz": ytr,
              "t10k-images-idx3-ubyte.gz": xte, "t10k-labels-idx1-ubyte.gz": yte}
    for name, a in arrays.items():
        write_idx(a, folder / name)
    return {name: md5(folder / name) for name in arrays}


def write_svhn(folder: Path, n_train: int, n_test: int, seed: int = 0) -> dict[str, str]:
    from scipy.io import savemat

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train_32x32.mat", n_train), ("test_32x32.mat", n_test)):
        x, y = _images(rng, n, 10, (3, 32, 32))
        labels = np.where(y == 0, 10, y).astype(np.uint8)[:, None]  # SVHN writes digit 0 as 10
        savemat(folder / name, {"X": np.ascontiguousarray(np.transpose(x, (2, 3, 1, 0))),
                                "y": labels}, format="5")
        out[name] = md5(folder / name)
    return out


def write_cifar100(folder: Path, n_train: int, n_test: int, seed: int = 0) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def records(n):
        x, fine = _images(rng, n, 100, (3, 32, 32))
        rec = np.empty((n, 2 + 3072), dtype=np.uint8)
        rec[:, 0], rec[:, 1], rec[:, 2:] = fine // 5, fine, x.reshape(n, -1)
        return rec.tobytes()

    members = {"cifar-100-binary/train.bin": records(n_train),
               "cifar-100-binary/test.bin": records(n_test),
               "cifar-100-binary/coarse_label_names.txt": "".join(f"coarse{i}\n" for i in range(20)).encode(),
               "cifar-100-binary/fine_label_names.txt": "".join(f"fine{i}\n" for i in range(100)).encode()}
    path = folder / "cifar-100-binary.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(blob), 0
            tar.addfile(info, io.BytesIO(blob))
    return {path.name: md5(path)}


def _airplane_like(rng: np.random.Generator):
    """A closed mesh of a few overlapping primitives (fuselage, wing, tail, fin), y up and the
    fuselage along z as ShapeNet's airplanes are oriented."""
    import trimesh

    length, radius = rng.uniform(1.6, 2.2), rng.uniform(0.1, 0.15)
    fus = trimesh.creation.capsule(height=length - 2 * radius, radius=radius, count=[10, 8])
    span, chord = rng.uniform(1.2, 2.0), rng.uniform(0.25, 0.4)
    wing = trimesh.creation.box(extents=[span, 0.04, chord])
    tail = trimesh.creation.box(extents=[span * 0.4, 0.03, chord * 0.6])
    tail.apply_translation([0, 0, -length / 2 + 0.15])
    fin = trimesh.creation.box(extents=[0.03, 0.3, chord * 0.7])
    fin.apply_translation([0, radius + 0.1, -length / 2 + 0.15])
    return trimesh.util.concatenate([fus, wing, tail, fin])


def write_shapenet_like(folder: Path, split: dict[str, int], seed: int = 0) -> Path:
    """Meshes ``<folder>/02691156/<id>.obj`` and split lists ``<folder>/splits/<part>_split.lst``
    with ``split[part]`` meshes per part; returns the mesh folder."""
    rng = np.random.default_rng(seed)
    meshes, splits = folder / "02691156", folder / "splits"
    meshes.mkdir(parents=True, exist_ok=True)
    splits.mkdir(parents=True, exist_ok=True)
    for part, n in split.items():
        ids = []
        for _ in range(n):
            sid = hashlib.md5(rng.bytes(16)).hexdigest()
            _airplane_like(rng).export(meshes / f"{sid}.obj", file_type="obj")
            ids.append(sid)
        (splits / f"{part}_split.lst").write_text("".join(f"{i}.obj\n" for i in ids))
    return meshes


def write_resnet18_imagenet(path: Path, seed: int = 0) -> Path:
    """A ResNet-18 state dict with torchvision's names and ImageNet's 1,000-way head, randomly
    initialised, as safetensors (the file README asks a user to convert once)."""
    import torch
    from safetensors.torch import save_file

    from weightmem.nets.resnet import ResNet18, ResNetConfig

    torch.manual_seed(seed)
    net = ResNet18(ResNetConfig(n_classes=1000, width=64, stem="imagenet"))
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path
