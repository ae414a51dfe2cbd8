# weightmem: "Generative Modeling of Weights: Generalization or Memorization?" as one DAG.
#   snakemake -c2                                   # embedded default (config/config.yaml)
#   snakemake -c2 results/figures/gpt/heatmap.png   # one figure and only what it needs
#   snakemake --profile profiles/slurm              # paper scale on a SLURM cluster
# Shared stages take a {method} wildcard; each method adds its own stages (zoo, fit, sample) in
# its rule file and declares the rest (weightmem.methods.Method).
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


include: "rules/common.smk"


onstart:  # a real local run (not -n, not cluster submission): the config against this machine
    _locks.record_run(Path.cwd())
    if workflow.local_exec:
        _check_machine(config)


wildcard_constraints:
    method="|".join(METHODS),
    set=r"[A-Za-z0-9_.\-]+",
    amp=r"[0-9.]+",
    shard=r"[0-9]+",


# cheap rules run on the submitting host, not as cluster jobs (the one list)
localrules:
    all,
    figure_min_distance,
    figure_performance_vs_novelty,
    modeling_factors,
    figure_modeling_factors,
    hd_permutation,
    report,
    hd_split,
    pdiff_interpolation_baseline,
    pdiff_figure_param_distribution,
    pdiff_figure_interpolate,
    study_figure_composed,
    study_figure_min_distance,
    study_figure_performance_vs_novelty,
    hyperrep_figure_invariance,


include: "rules/zoo.smk"
include: "rules/baselines.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"
include: "rules/analysis.smk"
include: "rules/report.smk"
include: "rules/data_size.smk"  # only built when data_size: is configured (config/data-size.yaml)
include: "rules/seeds.smk"  # the robustness check over seeds (config/seeds.yaml, weightmem seeds)


for _rules in method_rule_files():

    include: _rules


rule all:
    input:
        all_figures(),
        method_targets(),
        analysis_tables(),
        f"{R}/report.html",
    default_target: True
