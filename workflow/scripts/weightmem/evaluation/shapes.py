"""Shape evaluation for neural fields (docs/hyperdiffusion.md §5): field → mesh (marching cubes) →
2,048-point cloud → per-cloud normalisation → Chamfer distances to training and test shapes.

Chamfer (as the study implements it): with squared Euclidean distances d,
CD(A, B) = mean_a min_b d(a, b) + mean_b min_a d(a, b). Computed with one KD-tree per cloud
(scipy cKDTree; built once, queried by every other cloud), never a dense all-pairs point matrix.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

LEVEL = 1.386  # ≈ ln 4 = logit(0.8): the study's test-time iso-level (occupancy 0.8)


@torch.no_grad()
def grid_logits(arch, weights: torch.Tensor, res: int, chunk: int = 64 ** 3,
                device: torch.device | str = "cpu") -> torch.Tensor:
    """Logits of N fields [N, D] on a regular res³ grid spanning [−0.5, 0.5]³ → [N, res, res, res]
    (index order x, y, z). A regular grid (the study's DeepSDF indexing shears it by < 1 voxel)."""
    ax = torch.linspace(-0.5, 0.5, res)
    pts = torch.stack(torch.meshgrid(ax, ax, ax, indexing="ij"), dim=-1).reshape(-1, 3).to(device)
    w = weights.to(device)
    out = torch.empty(weights.shape[0], pts.shape[0])
    for s in range(0, pts.shape[0], chunk):
        out[:, s:s + chunk] = arch.forward(w, pts[s:s + chunk]).float().cpu()
    return out.reshape(-1, res, res, res)


def mesh_from_grid(logits: np.ndarray, level: float = LEVEL) -> trimesh.Trimesh | None:
    """Marching cubes (Lewiner) at ``level`` on a [−0.5, 0.5]³ grid; None when the field has no
    surface there (all above or all below the level, or non-finite) or the mesh is degenerate."""
    from skimage.measure import marching_cubes

    logits = np.asarray(logits, dtype=np.float32)
    if not np.isfinite(logits).all() or logits.min() >= level or logits.max() <= level:
        return None
    res = logits.shape[0]
    h = 1.0 / (res - 1)
    try:
        verts, faces, _, _ = marching_cubes(logits, level=level, spacing=(h, h, h), method="lewiner")
    except (ValueError, RuntimeError):
        return None
    verts = verts - 0.5
    faces = faces[:, [0, 2, 1]]  # occupancy is positive inside: flip the winding (§5.1)
    mesh = trimesh.Trimesh(verts, faces, process=False)
    if len(mesh.faces) == 0 or not mesh.area > 0:
        return None
    return mesh


def sample_cloud(mesh: trimesh.Trimesh | None, n: int, seed: int) -> np.ndarray:
    """n area-uniform surface points of a reconstructed mesh, ×2; NaN rows for a missing mesh.
    The ×2 follows the study (it undoes the 0.5 scale of the fitting normalisation); it has no
    effect on any distance because every cloud is then normalised by its own mean and std."""
    if mesh is None:
        return np.full((n, 3), np.nan, dtype=np.float32)
    pts, _ = trimesh.sample.sample_surface(mesh, n, seed=seed)
    return (2.0 * np.asarray(pts)).astype(np.float32)


def normalise_clouds(clouds: np.ndarray) -> np.ndarray:
    """Per cloud: subtract the per-axis mean, divide by the unbiased std of all 3·n coordinates
    pooled (one scalar; §5.2). [N, n, 3] → same shape; NaN clouds stay NaN."""
    c = np.asarray(clouds, dtype=np.float64)
    c = c - c.mean(axis=1, keepdims=True)
    std = c.reshape(len(c), -1).std(axis=1, ddof=1)
    return (c / std[:, None, None]).astype(np.float32)


def field_clouds(arch, weights: torch.Tensor, res: int, n_points: int, seed: int,
                 level: float = LEVEL, batch: int = 4, device="cpu", progress=None):
    """Mesh every field and sample its point cloud. Returns (normalised clouds [N, n, 3] with NaN
    for empty meshes, info dict: empty [N] bool, vertices [N], faces [N])."""
    N = weights.shape[0]
    clouds = np.full((N, n_points, 3), np.nan, dtype=np.float32)
    empty = np.ones(N, dtype=bool)
    nv, nf = np.zeros(N, dtype=np.int64), np.zeros(N, dtype=np.int64)
    starts = range(0, N, batch)
    for s in (progress(starts) if progress else starts):
        grids = grid_logits(arch, weights[s:s + batch], res, device=device).numpy()
        for j, g in enumerate(grids):
            mesh = mesh_from_grid(g, level)
            if mesh is not None:
                i = s + j
                empty[i], nv[i], nf[i] = False, len(mesh.vertices), len(mesh.faces)
                clouds[i] = sample_cloud(mesh, n_points, seed + i)
    ok = ~empty
    if ok.any():
        clouds[ok] = normalise_clouds(clouds[ok])
    return clouds, {"empty": empty, "vertices": nv, "faces": nf}


# ---------------------------------------------------------------------- Chamfer
def chamfer_bruteforce(a: np.ndarray, b: np.ndarray) -> float:
    """The definition, literally (float64): for tests and the benchmark's correctness check."""
    d = ((a[:, None, :].astype(np.float64) - b[None, :, :]) ** 2).sum(-1)
    return float(d.min(1).mean() + d.min(0).mean())


def chamfer_matrix(targets: np.ndarray, references: np.ndarray, exclude_self: bool = False,
                   progress=None, ref_trees: list | None = None) -> np.ndarray:
    """CD[i, j] between target cloud i and reference cloud j (squared distances, sum of the two
    directional means), float64. A target or reference with NaN points (empty mesh) gets +inf;
    ``exclude_self`` (targets are the references) puts +inf on the diagonal."""
    targets = np.asarray(targets, dtype=np.float64)
    references = np.asarray(references, dtype=np.float64)
    if exclude_self and targets.shape != references.shape:
        raise ValueError("exclude_self needs the targets to be the reference set")
    ok_t = np.isfinite(targets).all(axis=(1, 2))
    ok_r = np.isfinite(references).all(axis=(1, 2))
    t_trees = [cKDTree(c) if ok else None for c, ok in zip(targets, ok_t)]
    r_trees = ref_trees or [cKDTree(c) if ok else None for c, ok in zip(references, ok_r)]
    M, R = len(targets), len(references)
    # direction target → reference: one query per reference tree with all targets' points at once
    fwd = np.full((M, R), np.inf)
    bwd = np.full((M, R), np.inf)
    flat_t = targets[ok_t].reshape(-1, 3)
    rows_t = np.nonzero(ok_t)[0]
    n_pts = targets.shape[1]
    refs = range(R)
    for j in (progress(refs) if progress else refs):
        if not ok_r[j] or not len(rows_t):
            continue
        d, _ = r_trees[j].query(flat_t)
        fwd[rows_t, j] = (d ** 2).reshape(len(rows_t), n_pts).mean(1)
    flat_r = references[ok_r].reshape(-1, 3)
    rows_r = np.nonzero(ok_r)[0]
    m_pts = references.shape[1]
    for i in range(M):
        if not ok_t[i] or not len(rows_r):
            continue
        d, _ = t_trees[i].query(flat_r)
        bwd[i, rows_r] = (d ** 2).reshape(len(rows_r), m_pts).mean(1)
    cd = fwd + bwd
    if exclude_self:
        np.fill_diagonal(cd, np.inf)
    return cd


def nearest_chamfer(cd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min CD over references and which reference (−1 where all are inf)."""
    idx = np.argmin(cd, axis=1)
    best = cd[np.arange(len(cd)), idx]
    return best, np.where(np.isfinite(best), idx, -1)


def mmd(cd: np.ndarray) -> float:
    """MMD-CD with D[s, r] = CD(sample s, reference r): mean over references of the min over
    samples (docs/hyperdiffusion.md §5.4). Empty samples (inf rows) never win a min."""
    col = cd.min(axis=0)
    return float(col.mean()) if np.isfinite(col).all() else math.inf


def coverage(cd: np.ndarray) -> float:
    """Fraction of references that are the nearest reference of at least one (non-empty) sample."""
    ok = np.isfinite(cd).any(axis=1)
    return float(len(np.unique(cd[ok].argmin(axis=1))) / cd.shape[1]) if ok.any() else 0.0
