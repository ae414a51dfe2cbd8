"""Rule behaviour: accuracy, error masks and divergence flags of one weight set."""
from weightmem.data.images import load_npz
from weightmem.evaluate import behaviour, save_behaviour
from weightmem.io import load_weightset
from weightmem.runtime import script

ctx = script(snakemake, "behaviour")  # noqa: F821
ws = load_weightset(snakemake.input.weights)  # noqa: F821
beh = behaviour(ws, load_npz(snakemake.input.data), ctx.device)  # noqa: F821
ctx.log.info("%s: accuracy %.2f%% ± %.2f, %d diverged", snakemake.wildcards.set,  # noqa: F821
             beh["accuracy"].mean(), beh["accuracy"].std(), int(beh["diverged"].sum()))
save_behaviour(beh, snakemake.output[0])  # noqa: F821
