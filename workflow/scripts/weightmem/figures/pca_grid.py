"""The decision-boundary grid (docs/gpt.md §6, docs/hyperrep.md §6, docs/pdiff.md §5.4): standardise the
flattened test images per pixel, PCA to 2 components, a res×res grid from (min−1) to (max+1) on each
component, mapped back through inverse PCA and inverse standardisation to image shape."""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler


def pca_grid(images: np.ndarray, res: int = 300, clip: tuple[float, float] | None = None):
    """Returns (grid images [res·res, *image_shape] float32, extent (x0, x1, y0, y1)).
    Row r, column c of the grid is image index r·res + c (y = component 2, x = component 1)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    scaler = StandardScaler().fit(flat)
    pca = PCA(n_components=2).fit(scaler.transform(flat))
    z = pca.transform(scaler.transform(flat))
    lo, hi = z.min(0) - 1, z.max(0) + 1
    gx, gy = np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res)
    xx, yy = np.meshgrid(gx, gy)
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    back = scaler.inverse_transform(pca.inverse_transform(pts))
    if clip is not None:
        back = np.clip(back, *clip)
    return back.reshape(-1, *images.shape[1:]).astype(np.float32), (lo[0], hi[0], lo[1], hi[1])
