"""Offscreen mesh rendering for the HyperDiffusion "render_shapes" figure (docs/hyperdiffusion.md §6):
matplotlib trisurf on the Agg backend (no display, no OpenGL), light grey, no edges, a cubic box
around each mesh's bounding-box centre."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LightSource

from weightmem.figures.plots import style

# our airplanes have z up and the fuselage along x (ShapeNet: y up, fuselage along z, which is why
# the study uses elevation −10° and rotates its images by 90°); this view shows wings and tail
ELEV, AZIM = 25.0, -55.0


def _draw(ax, mesh, caption: str) -> None:
    ax.set_axis_off()
    ax.set_title(caption, fontsize=9)
    if mesh is None:
        ax.text2D(0.5, 0.5, "empty mesh", ha="center", va="center", transform=ax.transAxes,
                  color="gray")
        return
    v, f = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    ax.plot_trisurf(v[:, 0], v[:, 1], v[:, 2], triangles=f, color="lightgrey", linewidth=0,
                    antialiased=False, shade=True, lightsource=LightSource(azdeg=315, altdeg=45))
    lo, hi = v.min(0), v.max(0)
    c, half = (lo + hi) / 2, 0.52 * (hi - lo).max()
    ax.set_xlim(c[0] - half, c[0] + half)
    ax.set_ylim(c[1] - half, c[1] + half)
    ax.set_zlim(c[2] - half, c[2] + half)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=ELEV, azim=AZIM)


def render_pairs(left: list, right: list, captions: list[tuple[str, str]], title: str):
    """Rows of (left mesh, right mesh); a mesh may be None (drawn as 'empty mesh')."""
    style()
    n = len(left)
    fig = plt.figure(figsize=(6.4, 3.0 * n))
    for r in range(n):
        for c, (mesh, cap) in enumerate(((left[r], captions[r][0]), (right[r], captions[r][1]))):
            _draw(fig.add_subplot(n, 2, 2 * r + c + 1, projection="3d"), mesh, cap)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def render_grid(rows: list[list], row_labels: list[str], captions: list[list[str]], title: str):
    """One row of meshes per entry of ``rows`` (a mesh may be None: 'empty mesh'), the row's
    label on its left."""
    style()
    n, m = len(rows), max(len(r) for r in rows)
    fig = plt.figure(figsize=(2.4 * m + 0.8, 2.5 * n))
    for r, meshes in enumerate(rows):
        for c, mesh in enumerate(meshes):
            ax = fig.add_subplot(n, m, r * m + c + 1, projection="3d")
            _draw(ax, mesh, captions[r][c])
            if c == 0:
                ax.text2D(-0.12, 0.5, row_labels[r], rotation=90, ha="center", va="center",
                          transform=ax.transAxes, fontsize=10, fontweight="bold")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
