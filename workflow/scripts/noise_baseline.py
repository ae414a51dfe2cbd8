"""Rule noise_baseline: training weights + Gaussian noise of one amplitude, streamed from file to
file (weightmem.baselines.noise_to_file: the bytes of the in-memory baselines.noise, one model
and a few 16 MB blocks in memory, so sets larger than memory work)."""
from weightmem import baselines
from weightmem.io import read_weightset_header
from weightmem.runtime import progress, script

ctx = script(snakemake, "baseline.noise")  # noqa: F821
src = read_weightset_header(snakemake.input.source)  # noqa: F821
p = snakemake.params.noise  # noqa: F821
# G.pt's amplitudes are in normalised units: raw std = amp / normalisation factor (docs/gpt.md §4)
scale = 1.0 / src.provenance["normalisation_scale"] if p["units"] == "normalised" else 1.0
amp = float(snakemake.wildcards.amp)  # noqa: F821
n = baselines.noise_to_file(src.path, snakemake.output[0], amp, p["count"], ctx.seed,  # noqa: F821
                            scale=scale, name=f"noise{amp:g}",
                            progress=lambda it: progress(it, desc=f"noise {amp:g}"))
ctx.log.info("noise %.3g (raw std %.4g) on %d models (diverged models not drawn)", amp,
             amp * scale, n)
