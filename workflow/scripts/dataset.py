"""Rule dataset: build one image dataset (packaged digits, or MNIST downloaded with checksums)."""
from weightmem.data import build
from weightmem.runtime import script

ctx = script(snakemake, "dataset")  # noqa: F821
spec = dict(snakemake.params.spec)  # noqa: F821
data = build(spec.pop("source"), spec)
ctx.log.info("%s: %d train / %d test images of shape %s, %d classes", data.name,
             len(data.x_train), len(data.x_test), data.x_train.shape[1:], data.n_classes)
data.save(snakemake.output[0])  # noqa: F821
