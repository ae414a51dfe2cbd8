"""Rule behaviour: what one weight set does (classifiers: accuracy, error masks; fields: meshes
and point clouds), by the method's declared kind or its own hook."""
from weightmem import methods
from weightmem.evaluation import hook
from weightmem.runtime import script

ctx = script(snakemake, "behaviour")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
ctx.log.info("%s / %s", method.name, snakemake.wildcards.set)  # noqa: F821
hook(method, "evaluate_behaviour")(snakemake.input, snakemake.output[0], snakemake.params, ctx)  # noqa: F821
