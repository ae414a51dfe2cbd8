"""Rule pdiff_figure_decision_boundary: 10 random classes, argmax over their logits only."""
import pandas as pd

from weightmem.data.images import load_npz
from weightmem.io import load_weightset, save_figure
from weightmem.methods import pdiff
from weightmem.plots import pdiff as plots
from weightmem.runtime import script

ctx = script(snakemake, "pdiff.figure.decision_boundary")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
model, meta = pdiff.load_base(i.base)
data = load_npz(i.data)
classes = pdiff.boundary_classes(data.n_classes, p.n_classes, p.class_seed)
near = pd.read_csv(i.table)["nearest_by_l2"].to_numpy()
g, t, extent = pdiff.decision_maps(load_weightset(i.generated), load_weightset(i.training), near,
                                   model, meta, data, p.res, classes, ctx.device)
fig, agree = plots.decision_boundaries(g, t, extent, near, classes)
ctx.log.info("classes %s; grid agreement generated vs nearest training: %s", classes,
             [round(float(a), 3) for a in agree])
save_figure(fig, snakemake.output[0])  # noqa: F821
