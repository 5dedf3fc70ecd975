#!/usr/bin/env bash
# SAM vit_b speed, ours vs the official PyTorch code, same random weights and thread count, one run.
#   bench/sam.sh [THREADS]     (needs SAM_SRC and MOBILESAM_SRC, see tools/parity/README.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${1:-2}"
dir="${SAM_BENCH_DIR:-/tmp/visualwords-sam-bench}"
img="$root/tests/fixtures/images/truck.jpg"
OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" /usr/bin/python3 "$root/tools/parity/sam_bench.py" "$dir" --threads "$threads"
dotnet run -c Release --project "$root/bench/VisualWords.Bench" -- sam "$dir" --image "$img" --threads "$threads"
