# weightmem audit (weightmem.methods.audit): a researcher's training / generated / held-out
# models read from their files (folders of float32 .safetensors linked in place, the rest
# copied); the shared DAG does baselines, tables, figures and the report; the verdict is the Z_U
# data-copying test. `snakemake audit` (what `weightmem audit` runs).


localrules:
    audit,


rule audit_import:
    output:
        training=f"{R}/audit/weights/training.safetensors",
        generated=f"{R}/audit/weights/generated.safetensors",
        heldout=f"{R}/audit/weights/heldout.safetensors",
        inputs=f"{R}/audit/inputs.json",
    params:
        section=lambda w: config["audit"],
        seed=seed("audit"),
    log:
        logs("audit/import"),
    benchmark:
        bench("audit/import")
    resources:
        mem_mb=need("audit_import"),
        runtime=120,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/audit_import.py"


rule audit_verdict:
    input:
        training=f"{R}/audit/tables/training.csv",
        generated=f"{R}/audit/tables/generated.csv",
        heldout=f"{R}/audit/tables/heldout.csv",
        inputs=f"{R}/audit/inputs.json",
        # with behaviour: the noise baselines' tables (accuracy and novelty beside the generator's)
        noise=lambda w: [f"{R}/audit/tables/{n}.csv" for n in noise_sets("audit")]
        if M("audit").behaviour != "none"
        else [],
    output:
        verdict=f"{R}/verdict.json",
        table=f"{R}/tables/audit.csv",
    params:
        section=lambda w: config["audit"],
    log:
        logs("audit/verdict"),
    benchmark:
        bench("audit/verdict")
    resources:
        mem_mb=need("audit_verdict"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/audit_verdict.py"


rule audit:
    input:
        f"{R}/verdict.json",
        f"{R}/report.html",


# Weight space only, plain L2 (the default audit): the training, generated, held-out and noise
# baselines' tables in one pass over the columns, every file read once
# (weightmem.evaluation.weightspace.tables); otherwise the shared `table` rule makes each table.
if "audit" in METHODS and M("audit").behaviour == "none" and distance_of("audit") == "plain":
    AUDIT_TABLES = ["training", "generated", "heldout", *noise_sets("audit")]

    ruleorder: audit_tables > table

    rule audit_tables:
        input:
            expand(f"{R}/audit/weights/{{set}}.safetensors", set=AUDIT_TABLES),
        output:
            expand(f"{R}/audit/tables/{{set}}.csv", set=AUDIT_TABLES),
        log:
            logs("audit/tables"),
        benchmark:
            bench("audit/tables")
        threads: 2
        resources:
            mem_mb=need("audit_tables"),
            runtime=720,
        conda:
            "../envs/eval.yaml"
        script:
            "../workflow/scripts/audit_tables.py"
