"""Rule pdiff_base: train the base ResNet-18 once (all parameters), keep the best epoch."""
import pandas as pd

from weightmem.data.images import load_npz
from weightmem.io import save_state, write_csv
from weightmem.zoo import bn as pdiff
from weightmem.runtime import progress, script

ctx = script(snakemake, "pdiff.base")  # noqa: F821
model, rows, meta = pdiff.train_base(load_npz(snakemake.input.data), dict(snakemake.params.base),  # noqa: F821
                                     ctx.seed, ctx.device, progress=progress, log=ctx.log)
ctx.log.info("best epoch %d: test accuracy %.2f%%", meta["best_epoch"], meta["test_accuracy"])
save_state(model.state_dict(), meta, snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
