#!/usr/bin/env bash
# The prediction check of docs/sim.md at several thread counts, in one go (for a lent multi-core
# host, where device time is short): for each T, calibrate the attention instance on T cpu
# workers, then compare six schedules' cpu makespans with the calibrated simulator
# (bench/predict_cpu.py). Writes OUTDIR/host-T.json, OUTDIR/predict-T.txt and the cpu stats of
# the calibrated schedule (OUTDIR/stats-T.json: scheduling and idle time, for fitting a better
# overhead model), and prints the summary lines.
#
#   bench/predict_hosts.sh build/tools/pto-wsp OUTDIR 4 8 16
#
# KV_LENGTHS=... (comma-separated) replaces the instance's KV lengths.
set -euo pipefail
cli=$(realpath "$1")
out=$2
shift 2
mkdir -p "$out"
here=$(dirname "$(realpath "$0")")
kv=${KV_LENGTHS:-256,2048,3840,1536,3328,1024,2816,512,2304,4096,1792,3584,1280,3072,768,2560}
for t in "$@"; do
  "$cli" calibrate attention --threads "$t" --runs 20 --kv-lengths "$kv" \
    --out "$out/host-$t.json" | tee "$out/calibrate-$t.txt"
  "$cli" run attention --threads "$t" --runs 20 --kv-lengths "$kv" --queues 1 \
    --stats-json "$out/stats-$t.json" >/dev/null
  "$here/predict_cpu.py" "$cli" "$out/host-$t.json" --threads "$t" --kv-lengths "$kv" \
    --stats-dir "$out/stats-$t" \
    | tee "$out/predict-$t.txt"
  echo "T = $t: $(tail -1 "$out/predict-$t.txt")"
done
