"""Rule hyperrep_figure_invariance: the invariance table as bars beside the paper's (study output 9,
docs/hyperrep.md §6.2)."""
import pandas as pd

from weightmem import paper
from weightmem.figures import study
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.figure.invariance")  # noqa: F821
i = snakemake.input  # noqa: F821
run = pd.read_csv(i.table)
theirs = paper.row_values(paper.load(i.paper), "hyperrep", "invariance")
for r in run.itertuples():
    p = theirs.get(r.transform, {})
    ctx.log.info("%-9s |acc diff| %.2f%% (paper %s)  1 - similarity %.3f (paper %s)", r.transform,
                 r.abs_accuracy_difference, p.get("abs_accuracy_difference"),
                 r.one_minus_similarity, p.get("one_minus_similarity"))
fig = study.invariance_bars(run, theirs, "Hyper-Rep: reconstructions of function-preserving "
                                         "transforms vs of different models")
save_figure(fig, snakemake.output[0])  # noqa: F821
