"""Rule noise_baseline: training weights + Gaussian noise of one amplitude."""
from weightmem import baselines
from weightmem.io import load_weightset, save_weightset
from weightmem.runtime import script

ctx = script(snakemake, "baseline.noise")  # noqa: F821
src = load_weightset(snakemake.input.source)  # noqa: F821  (diverged rows are not drawn)
p = snakemake.params.noise  # noqa: F821
# G.pt's amplitudes are in normalised units: raw std = amp / normalisation factor (docs/gpt.md §4)
scale = 1.0 / src.provenance["normalisation_scale"] if p["units"] == "normalised" else 1.0
amp = float(snakemake.wildcards.amp)  # noqa: F821
ws = baselines.noise(src, amp, p["count"], ctx.seed, scale=scale, name=f"noise{amp:g}")
ctx.log.info("noise %.3g (raw std %.4g) on %d models", amp, amp * scale, len(ws))
save_weightset(ws, snakemake.output[0])  # noqa: F821
