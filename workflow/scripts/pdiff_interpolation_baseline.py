"""Rule pdiff_interpolation_baseline: "average" (mean of k random checkpoints) or "gaussian"."""
from weightmem import baselines
from weightmem.io import load_weightset, save_weightset
from weightmem.runtime import script

ctx = script(snakemake, "baseline.interpolation")  # noqa: F821
src = load_weightset(snakemake.input.source, require_finite=True)  # noqa: F821
b, kind = snakemake.params.baselines, snakemake.wildcards.kind  # noqa: F821
if kind == "average":
    ws = baselines.average(src, b["average_k"], b["interpolation_count"], ctx.seed)
else:
    ws = baselines.gaussian(src, b["interpolation_count"], ctx.seed)
ctx.log.info("%s: %d vectors", kind, len(ws))
save_weightset(ws, snakemake.output[0])  # noqa: F821
