"""Rule table: per-model metrics of one weight set against the training set."""
from weightmem import methods
from weightmem.evaluation import hook
from weightmem.io import write_csv
from weightmem.runtime import script

ctx = script(snakemake, "table")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
df = hook(method, "evaluate_table")(snakemake.wildcards.set, snakemake.input,  # noqa: F821
                                    snakemake.params, ctx)  # noqa: F821
write_csv(df, snakemake.output[0])  # noqa: F821
