# The study's analysis (docs/study.md output 8): the modeling-factors table over every method whose
# config names generator variants. Method-specific analyses (Hyper-Rep's invariance) live in the
# method's rule file and are declared by it.


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
        logs("analysis/modeling_factors"),
    benchmark:
        bench("analysis/modeling_factors")
    resources:
        mem_mb=need("modeling_factors"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/modeling_factors.py"
