# The study's analysis (docs/study.md output 8): the modeling-factors table and its figure over
# every method whose config names generator variants. Method-specific analyses (Hyper-Rep's invariance) live in the
# method's rule file and are declared by it.


rule modeling_factors:
    input:
        training=[f"{R}/{m}/tables/training.csv" for m in factor_methods()],
        tables=factor_tables(),
        models=factor_models(),
        sets=factor_set_tables(),  # set-level performance (the declaration's factor_performance)
    output:
        f"{R}/tables/modeling_factors.csv",
    params:
        rows=[[m, v] for m in factor_methods() for v in factor_variants(m)],
        set_rows=factor_set_rows(),
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


# performance against novelty per variant, one panel per method (training row marked)
rule figure_modeling_factors:
    input:
        table=f"{R}/tables/modeling_factors.csv",
    output:
        report(f"{R}/figures/modeling_factors.png", category="study",
               caption="../report/modeling_factors.rst"),
    params:
        methods=factor_methods(),
    log:
        logs("figures/modeling_factors"),
    benchmark:
        bench("figures/modeling_factors")
    resources:
        mem_mb=need("figure_modeling_factors"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/figure_modeling_factors.py"
