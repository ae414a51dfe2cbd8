"""Rule figure_model_outputs: what generated models do beside their nearest training model
(decision boundaries for classifiers, rendered shapes for neural fields)."""
from weightmem import methods
from weightmem.evaluation import hook
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.model_outputs")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
fig = hook(method, "draw_model_outputs")(method, snakemake.input, snakemake.params, ctx)  # noqa: F821
save_figure(fig, snakemake.output[0])  # noqa: F821
