"""Rule pdiff_behaviour: accuracy and error masks of BN-vectors inside the frozen base network."""
from weightmem.data.images import load_npz
from weightmem.evaluate import save_behaviour
from weightmem.io import load_weightset
from weightmem.methods import pdiff
from weightmem.runtime import progress, script

ctx = script(snakemake, "pdiff.behaviour")  # noqa: F821
model, meta = pdiff.load_base(snakemake.input.base)  # noqa: F821
beh = pdiff.behaviour(load_weightset(snakemake.input.weights), model, meta,  # noqa: F821
                      load_npz(snakemake.input.data), ctx.device, progress=progress)  # noqa: F821
ctx.log.info("%s: accuracy %.2f%% ± %.2f, %d diverged", snakemake.wildcards.set,  # noqa: F821
             beh["accuracy"].mean(), beh["accuracy"].std(), int(beh["diverged"].sum()))
save_behaviour(beh, snakemake.output[0])  # noqa: F821
