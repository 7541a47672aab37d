#!/bin/bash
# The docs/RESULTS.md table: synthetic data, one tiny detector, then every relation head in every
# mode it declares, on the synthetic validation-driven schedule (configs/datasets/synth.yaml),
# PredCls over 3 seeds and SGCls / SGDet over 1 (one record per seed), the frozen-feature probe,
# and the mean ± sd table (benchmarks/synth_results_summary.py). Each run is a plain
# `sgg-bench train`; a run whose result.json exists is skipped, so a killed sweep resumes.
#
#   WORK=/tmp/synth-table JOBS=2 bash benchmarks/synth_results_table.sh
#   HEADS="causal gpsnet bgnn" WORK=/tmp/synth-table bash benchmarks/synth_results_table.sh  # add heads later
#   PHASES="predcls probe" ...   # only the PredCls seeds and the probe
#   HEADS="imp msdn" PREDCLS_SEEDS="1 2" PHASES=predcls ...  # a second sweep beside the first (runs are locked)
#
# Env: WORK (scratch folder), DEVICE (cpu|cuda), JOBS (runs at once; 1 on a shared 2-core
# machine), HEADS (default: every registered head but sgnls), PHASES (default "predcls probe sgcls sgdet"),
# PREDCLS_SEEDS (default "0 1 2"), OTHER_SEEDS (default "0"), PY (python with sgg_bench).
set -u
PY=${PY:-python}; WORK=${WORK:-/tmp/synth-table}; DEVICE=${DEVICE:-cpu}; JOBS=${JOBS:-1}
PHASES=${PHASES:-predcls probe sgcls sgdet}; PREDCLS_SEEDS=${PREDCLS_SEEDS:-0 1 2}; OTHER_SEEDS=${OTHER_SEEDS:-0}
# Default: every registered head but sgnls, which trains on grounded (caption) supervision and has
# its own table (docs/RESULTS.md, language-supervised SGG).
HEADS=${HEADS:-$($PY -c "import sgg_bench.modeling.heads; from sgg_bench.registry import RELATION_HEADS as R; print(' '.join(n for n in R.names() if n != 'sgnls'))")}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$WORK/logs"
T0=$(date +%s)
[ -f "$WORK/synth/vg/sgg-bench.json" ] || \
  $PY -c "from sgg_bench.data.synthetic import generate_synthetic as g; g('$WORK/synth', size='default', seed=0)"
COMMON="dataset.root=$WORK/synth/vg run.device=$DEVICE"
WEIGHTS=$WORK/out/synth/detector-tiny/checkpoints/model_final.pth
if [ ! -f "$WORK/out/synth/detector-tiny/run.json" ]; then
  $PY -m sgg_bench train --model detector --dataset synth --output-root "$WORK/out" $COMMON > "$WORK/logs/detector.log" 2>&1 \
    || { echo "detector failed: $WORK/logs/detector.log"; exit 1; }
fi

run() {  # head mode seed: one record, run name <head>-<mode>-s<seed>
  local head=$1 mode=$2 seed=$3 name=$1-$2-s$3
  [ -f "$WORK/out/synth/$name/result.json" ] && { echo "$name done before"; return; }
  local resume=()
  [ -d "$WORK/out/synth/$name/checkpoints" ] && resume=(--resume)
  # causal: the untreated model and its TDE, one record each from one training run
  [ "$head" = causal ] && resume+=(--effect none --effect TDE)
  # The lock lets several sweeps share one WORK: a run another sweep is training is skipped.
  flock -n -E 75 "$WORK/logs/$name.lock" $PY -m sgg_bench train --model "$head" --dataset synth --mode "$mode" \
    --output-root "$WORK/out" "${resume[@]}" $COMMON detector.weights="$WEIGHTS" run.seed="$seed" run.name="$name" \
    > "$WORK/logs/$name.log.new" 2>&1
  local rc=$?
  if [ $rc = 75 ]; then rm -f "$WORK/logs/$name.log.new"; echo "$name is running in another sweep"; return; fi
  mv "$WORK/logs/$name.log.new" "$WORK/logs/$name.log"
  echo "$name rc=$rc at $(( $(date +%s) - T0 )) s"
}
launch() {  # at most JOBS runs at once
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run "$@" &
}
# "head:mode,mode" per head, asked once (each python start costs seconds on a loaded machine)
DECLARED=$($PY -c "import sgg_bench.modeling.heads; from sgg_bench.registry import RELATION_HEADS as R
print(' '.join(n + ':' + ','.join(R.info(n).get('modes', ('predcls', 'sgcls', 'sgdet'))) for n in R.names()))")
modes_of() { for entry in $DECLARED; do [ "${entry%%:*}" = "$1" ] && echo "${entry#*:}" | tr , ' '; done; }

for phase in $PHASES; do
  if [ "$phase" = probe ]; then
    wait
    $PY benchmarks/synth_feature_probe.py --output-root "$WORK/out" --dataset-root "$WORK/synth/vg" \
      --detector "$WEIGHTS" --json "$WORK/out/probe.json" > "$WORK/logs/probe.log" 2>&1
    echo "probe rc=$? at $(( $(date +%s) - T0 )) s"
    continue
  fi
  seeds=$OTHER_SEEDS; [ "$phase" = predcls ] && seeds=$PREDCLS_SEEDS
  for seed in $seeds; do for head in $HEADS; do
    case " $(modes_of "$head") " in *" $phase "*) launch "$head" "$phase" "$seed";; esac
  done; done
  wait  # a phase ends before the next starts: PredCls seeds first, then SGCls, then SGDet
done
$PY benchmarks/synth_results_summary.py "$WORK/out/synth" --probe "$WORK/out/probe.json"
