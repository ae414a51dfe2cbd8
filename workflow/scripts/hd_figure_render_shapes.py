"""Rule hd_figure_render_shapes: generated meshes beside the meshes of their nearest training fields."""
import pandas as pd

from weightmem.figures_shapes import render_shapes
from weightmem.io import load_weightset, save_figure
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.figure.render_shapes")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
fig = render_shapes(load_weightset(i.generated), load_weightset(i.training), pd.read_csv(i.table),
                    p.resolution, p.level, "hyperdiffusion: generated (left) vs nearest training field")
save_figure(fig, snakemake.output[0])  # noqa: F821
