#!/bin/bash
# The docs/RESULTS.md table: synthetic data, the tiny detector, then 3 heads x 3 modes (+ the
# PredCls variants), each a plain `sgg-bench train` run; prints one line of metrics per run.
#
#   WORK=/tmp/synth-table DEVICE=cpu PARALLEL=1 bash benchmarks/synth_results_table.sh
#
# Env: WORK (scratch folder), DEVICE (cpu|cuda), PARALLEL (1 = all relation runs at once,
# as on the 16-core device machine; 0 = one after another), PY (python with sgg_bench).
set -u
PY=${PY:-python}; WORK=${WORK:-/tmp/synth-table}; DEVICE=${DEVICE:-cpu}; PARALLEL=${PARALLEL:-0}
mkdir -p "$WORK/logs"
T0=$(date +%s)
$PY -c "from sgg_bench.data.synthetic import generate_synthetic as g; g('$WORK/synth', size='default', seed=0)"
COMMON="dataset.root=$WORK/synth/vg run.device=$DEVICE"
$PY -m sgg_bench train --model detector --dataset synth --output-root "$WORK/out" $COMMON > "$WORK/logs/detector.log" 2>&1 \
  || { echo "detector failed: $WORK/logs/detector.log"; exit 1; }
WEIGHTS=$WORK/out/synth/detector-tiny/checkpoints/model_final.pth
run() {  # run-name head mode [overrides...]
  local name=$1 head=$2 mode=$3; shift 3
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} $PY -m sgg_bench train --model "$head" --dataset synth --mode "$mode" \
    --output-root "$WORK/out" $COMMON detector.weights="$WEIGHTS" run.name="$name" "$@" > "$WORK/logs/$name.log" 2>&1
  echo "$name rc=$? at $(( $(date +%s) - T0 )) s"
}
launch() { if [ "$PARALLEL" = 1 ]; then run "$@" & else run "$@"; fi; }
for head in frequency imp motifs; do for mode in predcls sgcls sgdet; do launch "$head-$mode" $head $mode; done; done
launch imp-predcls-bias imp predcls model.head_args.use_frequency_bias=true

launch motifs-predcls-short motifs predcls solver.max_iter=1000 "solver.steps=[750]"
wait
$PY - "$WORK/out/synth" <<'PYTHON'
import json, pathlib, sys
keys = ["R@20", "R@50", "R@100", "mR@20", "mR@50", "mR@100", "ngR@50", "zR@50", "mAP", "AP50"]
for run in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    path = run / "result.json"
    if not path.is_file():
        print(run.name, "no result.json")
        continue
    metrics = json.loads(path.read_text())["metrics"]
    print(run.name, " ".join(f"{k}={metrics[k]:.3f}" for k in keys if metrics.get(k) is not None))
PYTHON
