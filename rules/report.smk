# The report: findings F1-F5 decided from the tables by each method's declaration, a per-set
# summary, the paper's numbers beside this run's (config/paper_numbers.yaml) and one HTML page with
# every figure.


rule report:
    input:
        unpack(report_inputs),
        paper=PAPER_NUMBERS,
    output:
        findings=f"{R}/tables/findings.csv",
        summary=f"{R}/tables/summary.csv",
        comparison=f"{R}/tables/paper_comparison.csv",
        page=f"{R}/report.html",
    params:
        sets=report_sets(),
        scale=config["scale"],
    log:
        logs("analysis/report"),
    benchmark:
        bench("analysis/report")
    resources:
        mem_mb=need("report"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/report.py"
