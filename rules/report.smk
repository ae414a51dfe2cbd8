# The report: findings F1-F5 decided from the tables by each method's declaration, a per-set
# summary, and one HTML page with every figure.


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
        logs("analysis/report"),
    benchmark:
        bench("analysis/report")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/report.py"
