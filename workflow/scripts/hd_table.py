"""Rule hd_table: per model min Chamfer to training / test shapes and min L2 to training weights."""
from weightmem.io import load_weightset, write_csv
from weightmem.methods import hyperdiffusion as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.table")  # noqa: F821
i, name = snakemake.input, snakemake.wildcards.set  # noqa: F821
train_ref = hd.load_clouds(i.train_ref)["clouds"]
clouds = {"clouds": train_ref} if name == "training" else hd.load_clouds(i.clouds)
df = hd.table(name, load_weightset(i.weights), clouds, load_weightset(i.training), train_ref,
              hd.load_clouds(i.test_ref)["clouds"], is_training=name == "training")
ctx.log.info("%s: %d models, %d empty, median min-CD train %.4f test %.4f, median min-L2 %.3f",
             name, len(df), int(df["empty"].sum()), df.min_cd_train.median(), df.min_cd_test.median(),
             df.min_l2.median())
write_csv(df, snakemake.output[0])  # noqa: F821
