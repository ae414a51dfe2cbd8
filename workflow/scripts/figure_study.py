"""Rules study_figure_*: the study's four-panel figures, one panel per listed method (docs/study.md
outputs 1-4). Min-distance histograms and performance-vs-novelty scatters are drawn again from
the per-method tables on real axes; heatmaps and model outputs are the per-method PNGs side by
side."""
import matplotlib.image as mpimg
import pandas as pd

from weightmem import methods
from weightmem.figures import classifier as figures
from weightmem.figures import plots, study
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.study")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
decl = [methods.get(m, snakemake.config) for m in p.methods]  # noqa: F821
titles = [d.title or d.name for d in decl]

if p.kind == "composed":
    images = [mpimg.imread(f) for f in i.panels]
    fig = study.composed(images, titles, p.title)
    dpi = 200
elif p.kind == "min_distance":
    fig, axes = study.panels(len(decl), 5.0, 3.8)
    for k, (d, ax, tr, ge) in enumerate(zip(decl, axes, i.training, i.generated)):
        label = figures.min_distance_label(p.distances[d.name], d.histogram_reference)
        figures.min_distance(pd.read_csv(tr), pd.read_csv(ge), study.panel_label(k, titles[k]),
                             label, ax=ax)
    fig.suptitle(p.title)
    fig.tight_layout()
    dpi = 150
elif p.kind == "performance_vs_novelty":
    fig, axes = study.panels(len(decl), 5.0, 4.0)
    files = iter(i.tables)
    for k, (d, ax) in enumerate(zip(decl, axes)):
        sets = p.sets[d.name]
        tables = {s: pd.read_csv(next(files)) for s in sets}
        noise = [s for s in sets if s.startswith("noise")]
        figures.performance_vs_novelty(tables, study.panel_label(k, titles[k]), d.quality,
                                       d.novelty, seed=p.seeds[d.name],
                                       colours=plots.scatter_colours(noise), ax=ax)
    fig.suptitle(p.title)
    fig.tight_layout()
    dpi = 150
else:
    raise ValueError(f"unknown study figure kind '{p.kind}'")
ctx.log.info("%s: %d panels (%s)", snakemake.output[0], len(decl), ", ".join(titles))  # noqa: F821
save_figure(fig, snakemake.output[0], dpi=dpi)  # noqa: F821
