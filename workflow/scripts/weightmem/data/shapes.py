"""Shapes for HyperDiffusion: mesh directories, procedural airplanes, occupancy supervision.

* :func:`write_airplanes` makes the embedded default: airplane-like meshes (fuselage, wings,
  tailplane, fin, optional engines) from trimesh primitives with varied proportions, each part
  closed (watertight), written as OBJ files and then read through the same :func:`load_mesh` as
  a ShapeNet directory.
* :func:`load_mesh` applies the study's normalisation (docs/hyperdiffusion.md §1.2): subtract the
  vertex mean, scale so the largest absolute coordinate is 0.475.
* :func:`occupancy_samples` = near-surface points (σ-perturbed surface samples) + uniform points in
  [−0.5, 0.5]³, labelled by the generalized winding number ≥ 0.5 (what the study computes with
  libigl). The winding number is also right for meshes made of overlapping closed parts, where a
  ray-parity test (trimesh's ``contains``, which also needs rtree) counts two crossings inside an
  overlap and calls the point outside.
* :func:`make_split`: val = int(0.05·N), test = int(0.15·N), train = rest (seeded; §1.1).
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import torch
import trimesh

MESH_EXTENSIONS = (".obj", ".off", ".ply")
SCALE = 0.5 * 0.95


class ShapeError(ValueError):
    """A mesh file or mesh directory is unusable; the message names it."""


# ---------------------------------------------------------------------- procedural airplanes
def _box(extents, centre, shear: float = 0.0, roll: float = 0.0) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    if shear:  # sweep: x (chord direction) moves back with |y| (span)
        v = m.vertices.copy()
        v[:, 0] += shear * np.abs(v[:, 1])
        m = trimesh.Trimesh(v, m.faces, process=False)
    if roll:  # dihedral: wings tilt up towards the tips
        v = m.vertices.copy()
        v[:, 2] += roll * np.abs(v[:, 1])
        m = trimesh.Trimesh(v, m.faces, process=False)
    m.apply_translation(centre)
    return m


def airplane(rng: np.random.Generator) -> trimesh.Trimesh:
    """One airplane-like mesh; x = fuselage axis (nose at +x), y = span, z = up."""
    length = rng.uniform(1.6, 2.4)
    radius = rng.uniform(0.09, 0.16)
    fus = trimesh.creation.capsule(height=length - 2 * radius, radius=radius, count=[12, 8])
    fus.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [0, 1, 0]))
    fus.apply_scale([1.0, 1.0, rng.uniform(0.8, 1.1)])
    span = rng.uniform(1.2, 2.4)
    chord = rng.uniform(0.2, 0.45)
    wing_x = rng.uniform(-0.15, 0.2)
    wing_z = rng.uniform(-0.6, 0.5) * radius
    parts = [fus, _box([chord, span, 0.04], [wing_x, 0, wing_z], shear=-rng.uniform(0.0, 0.45),
                       roll=rng.uniform(0.0, 0.12))]
    tail_x = -length / 2 + rng.uniform(0.1, 0.2)
    tail_span = span * rng.uniform(0.3, 0.5)
    tail_chord = chord * rng.uniform(0.5, 0.8)
    parts.append(_box([tail_chord, tail_span, 0.03], [tail_x, 0, rng.uniform(0.0, 0.8) * radius],
                      shear=-rng.uniform(0.0, 0.4)))
    fin_h = rng.uniform(0.2, 0.4)
    fin = _box([tail_chord * rng.uniform(0.9, 1.3), 0.03, fin_h], [tail_x, 0, radius * 0.6 + fin_h / 2])
    parts.append(fin)
    n_eng = rng.choice([0, 2, 4])
    for k in range(n_eng):
        side = 1 if k % 2 == 0 else -1
        y = side * span * (0.22 if k < 2 else 0.38)
        eng = trimesh.creation.cylinder(radius=rng.uniform(0.04, 0.06), height=chord * 0.9,
                                        sections=10)
        eng.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [0, 1, 0]))
        eng.apply_translation([wing_x + chord * 0.3, y, wing_z - 0.07])
        parts.append(eng)
    mesh = trimesh.util.concatenate(parts)
    return mesh


def write_airplanes(out_dir: str | Path, count: int, seed: int) -> list[Path]:
    """Write ``count`` procedural airplanes as OBJ files plane_0000.obj, … (seeded)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        mesh = airplane(rng)
        if not all(p.is_watertight for p in mesh.split(only_watertight=False)):
            raise ShapeError(f"procedural airplane {i} has an open part")
        path = out_dir / f"plane_{i:04d}.obj"
        from weightmem.io import atomic_path

        with atomic_path(path) as tmp:
            mesh.export(tmp, file_type="obj")
        paths.append(path)
    return paths


# ---------------------------------------------------------------------- loading
def list_meshes(root: str | Path) -> list[Path]:
    """Mesh files of a directory in sorted name order (the study's fix for reproducible order)."""
    root = Path(root)
    if not root.is_dir():
        raise ShapeError(f"{root}: mesh directory does not exist")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in MESH_EXTENSIONS)
    if not files:
        raise ShapeError(f"{root}: no {'/'.join(MESH_EXTENSIONS)} files found")
    return files


def normalise(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    v = mesh.vertices - mesh.vertices.mean(axis=0)  # vertex mean, not bbox centre (§1.2)
    v = v * (SCALE / np.abs(v).max())
    return trimesh.Trimesh(v, mesh.faces, process=False)


def load_mesh(path: str | Path) -> trimesh.Trimesh:
    """Read one mesh (obj/off/ply) and normalise it; unusable files raise ShapeError naming them."""
    path = Path(path)
    try:
        mesh = trimesh.load(str(path), force="mesh", process=True)
    except Exception as e:  # trimesh raises many kinds of errors for bad files
        raise ShapeError(f"{path}: cannot read mesh ({e})") from e
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or mesh.area <= 0:
        raise ShapeError(f"{path}: not a non-empty triangle mesh")
    if not np.isfinite(mesh.vertices).all():
        raise ShapeError(f"{path}: mesh has non-finite vertices")
    return normalise(mesh)


# ---------------------------------------------------------------------- inside/outside
def winding_number(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray,
                   budget: int | None = None, dtype: torch.dtype = torch.float32,
                   device: str | torch.device = "cpu") -> np.ndarray:
    """Generalized winding number of a triangle mesh at points (Jacobson et al. 2013): the sum of
    signed solid angles of the triangles / 4π (Van Oosterom–Strackee formula), exact, O(P·F),
    chunked to ≈ ``budget`` point-triangle pairs. float32 is accurate to ~1e-4 here, far below
    the 0.5 threshold except on the surface itself."""
    if budget is None:  # point-triangle pairs per chunk: cache-sized on a CPU, large on a GPU
        budget = 2**24 if torch.device(device).type == "cuda" else 2**16
    tri = torch.as_tensor(np.asarray(vertices)[np.asarray(faces)], dtype=dtype, device=device)
    v0, v1, v2 = (tri[:, k].T.contiguous() for k in range(3))  # [3, F] each
    pts = torch.as_tensor(np.asarray(points), dtype=dtype, device=device)
    out = torch.empty(len(pts), dtype=torch.float64)
    step = max(1, budget // max(len(faces), 1))
    for s in range(0, len(pts), step):
        q = pts[s:s + step]
        a, b, c = ([v[i][None] - q[:, i, None] for i in range(3)] for v in (v0, v1, v2))
        la, lb, lc = ((x[0] ** 2 + x[1] ** 2 + x[2] ** 2).sqrt() for x in (a, b, c))
        det = (a[0] * (b[1] * c[2] - b[2] * c[1]) + a[1] * (b[2] * c[0] - b[0] * c[2])
               + a[2] * (b[0] * c[1] - b[1] * c[0]))
        dot = lambda x, y: x[0] * y[0] + x[1] * y[1] + x[2] * y[2]
        den = la * lb * lc + dot(a, b) * lc + dot(b, c) * la + dot(c, a) * lb
        out[s:s + step] = torch.atan2(det, den).sum(1).double().cpu() / (2 * math.pi)
    return out.numpy()


def exterior_surface_samples(mesh: trimesh.Trimesh, n: int, seed: int,
                             oversample: int = 2, device: str | torch.device = "cpu") -> np.ndarray:
    """``n`` area-uniform surface points that lie on the outer surface: a point on one closed part
    that is inside another part (e.g. a wing root inside the fuselage) is dropped. For a single
    closed surface this is plain area-uniform sampling."""
    labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    rng = np.random.default_rng(seed)
    if labels.max() == 0:
        pts, _ = trimesh.sample.sample_surface(mesh, n, seed=int(rng.integers(2**31)))
        return np.asarray(pts)
    keep_all = []
    have = 0
    for _ in range(8):  # a few rounds in case many samples land inside other parts
        pts, fidx = trimesh.sample.sample_surface(mesh, oversample * n, seed=int(rng.integers(2**31)))
        part = labels[fidx]
        keep = np.ones(len(pts), dtype=bool)
        for c in np.unique(part):
            on_c = part == c
            others = mesh.faces[labels != c]
            if len(others):
                keep[on_c] = winding_number(mesh.vertices, others, pts[on_c], device=device) < 0.5
        keep_all.append(pts[keep])
        have += int(keep.sum())
        if have >= n:
            break
    pts = np.concatenate(keep_all)
    if len(pts) < n:
        raise ShapeError(f"could only place {len(pts)} of {n} samples on the outer surface")
    return pts[:n]


def occupancy_samples(mesh: trimesh.Trimesh, n_near: int, n_uniform: int, sigma: float,
                      seed: int, device: str | torch.device = "cpu") -> np.ndarray:
    """[n_near + n_uniform, 4] float32 rows (x, y, z, occupancy) for a normalised mesh (§1.2)."""
    rng = np.random.default_rng(seed)
    near = exterior_surface_samples(mesh, n_near, int(rng.integers(2**31)), device=device)
    near = near + rng.normal(0.0, sigma, near.shape)
    uni = rng.uniform(-0.5, 0.5, (n_uniform, 3))
    pts = np.concatenate([near, uni])
    occ = (winding_number(mesh.vertices, mesh.faces, pts, device=device) >= 0.5).astype(np.float64)
    return np.concatenate([pts, occ[:, None]], axis=1).astype(np.float32)


def cached_occupancy(path: Path, cache_dir: Path, n_near: int, n_uniform: int, sigma: float,
                     seed: int, device: str | torch.device = "cpu") -> np.ndarray:
    """Occupancy samples of one mesh file, cached per shape under a key of (file bytes, settings)."""
    from weightmem.io import load_tensors, save_tensors

    key = hashlib.sha256(Path(path).read_bytes() + repr((n_near, n_uniform, sigma, seed)).encode())
    cache = Path(cache_dir) / f"{Path(path).stem}-{key.hexdigest()[:12]}.safetensors"
    if cache.is_file():
        return load_tensors(cache, required=("samples",))["samples"].numpy()
    samples = occupancy_samples(load_mesh(path), n_near, n_uniform, sigma, seed, device)
    save_tensors({"samples": torch.from_numpy(samples)}, cache)
    return samples


# ---------------------------------------------------------------------- splits
def make_split(names: list[str], val_fraction: float, test_fraction: float,
               seed: int) -> dict[str, str]:
    """name → 'train' | 'val' | 'test'; val = int(f_val·N), test = int(f_test·N) (§1.1), seeded."""
    n = len(names)
    n_val, n_test = int(val_fraction * n), int(test_fraction * n)
    if n - n_val - n_test < 2 or n_test < 1:
        raise ShapeError(f"{n} shapes are too few for a split with val {n_val}, test {n_test} "
                         f"and at least 2 training shapes")
    order = np.random.default_rng(seed).permutation(n)
    split = {}
    for rank, i in enumerate(order):
        split[names[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return split


def read_split_lists(split_dir: str | Path, names: list[str]) -> dict[str, str]:
    """Reuse released split files {train,val,test}_split.lst (entries '<id>.obj' or '<id>')."""
    split_dir = Path(split_dir)
    out = {}
    stems = {Path(n).stem: n for n in names}
    for part in ("train", "val", "test"):
        f = split_dir / f"{part}_split.lst"
        if not f.is_file():
            raise ShapeError(f"{f}: split file missing")
        for line in f.read_text().split():
            stem = Path(line.strip()).stem
            if stem in stems:
                out[stems[stem]] = part
    missing = [n for n in names if n not in out]
    if missing:
        raise ShapeError(f"{split_dir}: {len(missing)} meshes are in no split list, e.g. {missing[:3]}")
    return out
