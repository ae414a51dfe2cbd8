# weightmem: "Generative Modeling of Weights: Generalization or Memorization?" as one DAG.
#   snakemake -c2                                   # embedded default (config/config.yaml)
#   snakemake -c2 results/figures/gpt/heatmap.png   # one figure and only what it needs
#   snakemake --profile profiles/slurm              # paper scale on a SLURM cluster
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/zoo.smk"
include: "rules/generators.smk"
include: "rules/baselines.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"


rule all:
    input:
        all_figures(),
    default_target: True
