#!/usr/bin/env bash
# Scores a referring model on a freshly generated ShapesWorld (a seed it never trained on), every
# split, generated answers, beside the baselines; writes one JSON + Markdown report per split.
#   tools/eval-shipped.sh [MODEL_DIR] [OUT_DIR] [SEED] [LIMIT]
# Defaults: models/visualwords-shapes, /tmp/vw-eval, seed 20261202, 1000 expressions per split.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/models/visualwords-shapes}"
out="${2:-/tmp/vw-eval}"
seed="${3:-20261202}"
limit="${4:-1000}"
data="$out/data-seed$seed"
mkdir -p "$out"
# 6000 images give >= 1000 expressions in every split (compositional is the smallest).
[[ -f "$data/instances.json" ]] || "$root/visualwords" data shapes --out "$data" --count 6000 --seed "$seed" --size 128 >&2
mask_from="model"
if grep -q '"grounding": true' "$model/visualwords.json"; then mask_from="both"; fi
for split in val testA testB compositional; do
  "$root/visualwords" --threads "${THREADS:-2}" eval --data "$data" --split "$split" --checkpoint "$model" --mask-from "$mask_from" \
    --superpixels slic --limit "$limit" --json "$out/eval-$split.json"
done
