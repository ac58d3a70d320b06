#!/bin/sh
# One turn under the heavy lock (issue 14): choose self-training's rounds on held-out parts of the training splits,
# then run the test-set comparison with that choice. Usage (from the repository root):
#   flock /tmp/tlbench-heavy.lock sh bench/semi_supervised_turn.sh ../shared/data /tmp/st
set -u
DATA=${1:-../shared/data}; OUT=${2:-/tmp/st}
mkdir -p "$OUT"
date
.venv/bin/python bench/bench_semi_supervised.py tune --data-dir "$DATA" --per-round 0.5 --rounds 6 \
    --json "$OUT/tune.json"
ROUNDS=$(.venv/bin/python -c "import json,sys; sys.path.insert(0,'bench'); import bench_semi_supervised as b; \
r,g=b.choose(json.load(open('$OUT/tune.json'))); print(r, file=sys.stderr); print(g, file=sys.stderr); print(r)")
echo "chosen: rounds=$ROUNDS per_round=0.5"; date
for T in imdb rotten-tomatoes blitzer:books; do
    S=$(echo "$T" | tr ':' '-')
    .venv/bin/tlbench compare tfidf-lr --target "$T" --strategy target-only,self-training --fractions 0.05 \
        --seeds 3 --data-dir "$DATA" --device cpu -o self-training.rounds="$ROUNDS" -o self-training.per_round=0.5 \
        --out "$OUT/st-$S"
    date
done
