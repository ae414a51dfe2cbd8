"""Rule hd_reference_clouds: ground-truth clouds of the training shapes (in training-set order)
and of the test shapes."""
import pandas as pd

from weightmem.io import load_weightset
from weightmem.evaluation.fields import save_clouds
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.reference_clouds")  # noqa: F821
split = pd.read_csv(snakemake.input.split)  # noqa: F821
n = snakemake.params.points  # noqa: F821
train_names = load_weightset(snakemake.input.training).rows["shape"]  # noqa: F821
test_names = split.name[split.split == "test"].tolist()
save_clouds(hd.reference_clouds(split, train_names, n, ctx.seed), snakemake.output.train)  # noqa: F821
save_clouds(hd.reference_clouds(split, test_names, n, ctx.seed + 1), snakemake.output.test)  # noqa: F821
ctx.log.info("%d training and %d test reference clouds of %d points", len(train_names),
             len(test_names), n)
