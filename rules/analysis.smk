# The study's analysis (study.md outputs 8-10): the modeling-factors table (G.pt so far) and
# the Hyper-Rep weight-symmetry (invariance) experiment.


rule modeling_factors:
    input:
        training=[f"{R}/{m}/tables/training.csv" for m in factor_methods()],
        tables=factor_tables(),
        models=factor_models(),
    output:
        f"{R}/tables/modeling_factors.csv",
    params:
        rows=[[m, v] for m in factor_methods() for v in factor_variants(m)],
        methods=factor_methods(),
    log:
        f"{R}/logs/analysis/modeling_factors.log",
    resources:
        mem_mb=need("modeling_factors"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/modeling_factors.py"


rule hyperrep_invariance:
    input:
        model=f"{R}/hyperrep/generator/default/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
        data=dataset_of("hyperrep") if "hyperrep" in config else [],
    output:
        f"{R}/tables/invariance.csv",
    params:
        invariance=config["hyperrep"].get("invariance", {}) if "hyperrep" in config else {},
    log:
        f"{R}/logs/analysis/invariance.log",
    benchmark:
        f"{R}/benchmarks/analysis/invariance.tsv"
    threads: 1
    resources:
        mem_mb=need("hyperrep_invariance"),
        runtime=60,
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_invariance.py"


rule report:
    input:
        unpack(report_inputs),
    output:
        findings=f"{R}/tables/findings.csv",
        summary=f"{R}/tables/summary.csv",
        page=f"{R}/report.html",
    params:
        sets=report_sets(),
    log:
        f"{R}/logs/analysis/report.log",
    resources:
        mem_mb=need("report"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/report.py"
