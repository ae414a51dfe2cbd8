# weightmem: "Generative Modeling of Weights: Generalization or Memorization?" as one DAG.
#   snakemake -c2                                   # embedded default (config/config.yaml)
#   snakemake -c2 results/figures/gpt/heatmap.png   # one figure and only what it needs
#   snakemake --profile profiles/slurm              # paper scale on a SLURM cluster
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


include: "rules/common.smk"


wildcard_constraints:
    method="|".join(CLASSIFIER_METHODS),
    set=r"[A-Za-z0-9_.\-]+",
    amp=r"[0-9.]+",
    shard=r"[0-9]+",


# cheap rules run on the submitting host, not as cluster jobs
localrules:
    all,
    figure_min_distance,
    figure_performance_vs_novelty,
    hd_split,
    hd_figure_min_distance,
    hd_figure_performance_vs_novelty,


include: "rules/data.smk"
include: "rules/zoo.smk"
include: "rules/generators.smk"
include: "rules/baselines.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"
include: "rules/pdiff.smk"
include: "rules/hyperrep.smk"
include: "rules/hyperdiffusion.smk"
include: "rules/analysis.smk"


rule all:
    input:
        all_figures(),
        extra_targets(),
    default_target: True
