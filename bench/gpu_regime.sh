#!/usr/bin/env bash
# G.pt in the study's regime on one GPU: the G.pt chain with config/gpt-gpu.yaml (width 256,
# depth 4, 30,000 steps) into its own results folder, then the numbers of the copying finding
# (median / mean min L2 of generated vs training vs held-out models, the Z_U test and its verdict,
# accuracy, the generator's loss and fit time), read from the output tables (weightmem.regime).
#
#   bench/gpu_regime.sh               # needs CUDA; results/gpt-gpu/ (about 5-7 min on an H200)
#   bench/gpu_regime.sh --cpu-smoke   # the same script on a tiny config on the CPU (a test of the
#                                     # script itself; also WEIGHTMEM_CPU_SMOKE=1); results/gpt-gpu-smoke/
#
# Environment: PYTHON (default .venv/bin/python, else python3; needs torch and snakemake),
# RESULTS (the results folder), CORES (default: all CPUs).
# Exit status: 0 done; 2 bad argument; 3 no CUDA device; 4 snakemake missing; else the failing step's.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=${WEIGHTMEM_CPU_SMOKE:-0}
for arg in "$@"; do
    case "$arg" in
        --cpu-smoke) smoke=1 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/gpu_regime.sh: unknown argument '$arg' (--cpu-smoke, --help)" >&2; exit 2 ;;
    esac
done

py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
export PYTHONPATH="$PWD/workflow/scripts${PYTHONPATH:+:$PYTHONPATH}"
export WEIGHTMEM_NO_PROGRESS=1 PYTHONUNBUFFERED=1

configs=(config/gpt-gpu.yaml)
if [ "$smoke" = 1 ]; then
    configs+=(tests/config/gpu-regime-smoke.yaml)
    results=${RESULTS:-results/gpt-gpu-smoke}
    echo "bench/gpu_regime.sh: CPU smoke run (tiny config, tests the script, not the regime)"
else
    results=${RESULTS:-results/gpt-gpu}
    if ! "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
        echo "bench/gpu_regime.sh: no CUDA device: torch.cuda.is_available() is False for $py." >&2
        echo "  This run needs a GPU (30,000 generator steps; hours on a CPU). To test the script" >&2
        echo "  itself on the CPU: bench/gpu_regime.sh --cpu-smoke (or WEIGHTMEM_CPU_SMOKE=1)." >&2
        exit 3
    fi
    "$py" -c 'import torch; print("bench/gpu_regime.sh: on", torch.cuda.get_device_name(0))'
fi
if ! "$py" -c 'import snakemake' 2>/dev/null; then
    echo "bench/gpu_regime.sh: snakemake is not installed for $py (pip install -e . , or set PYTHON)" >&2
    exit 4
fi

cores=${CORES:-$(nproc)}
start=$(date +%s)
# the report needs every G.pt table and figure (and with run_factors: [] no variant fits)
"$py" -m snakemake --cores "$cores" "$results/report.html" \
    --configfile "${configs[@]}" --config "results=$results"
end=$(date +%s)
"$py" -m weightmem.regime "$results" --method gpt --seconds "$((end - start))"
