#!/usr/bin/env bash
# Prints one digest of the sim backend's traces and stats over a fixed set of workloads and
# schedules (every dispatch, issue and timing policy, both partitions, up to 100 AICPUs, tile
# kernels, functional mode). A change meant to make the simulator faster, not different, must
# leave the digest as it was: run it with the binary before and after the change.
#
#   scripts/sim-trace-digest.sh build/tools/pto-wsp [OUTDIR]
#
# OUTDIR (default: a temporary folder) keeps the traces, to diff when the digests differ.
set -euo pipefail
bin=$(realpath "$1")
out=${2:-$(mktemp -d)}
mkdir -p "$out"

# A machine split into many AICPU/core pairs (the seed's experiment has 48), past the 64 that fit
# the scheduler's bit masks.
split_machine() {
  cat >"$out/split$1.json" <<EOF
{"name": "split $1", "clock_ghz": 1.8, "aicpus": $1, "cube_cores": $1, "vector_cores": $1,
 "partition": "split", "host_to_aicpu_ns": 3000, "host_to_core_ns": 3000, "aicpu_to_core_ns": 0,
 "aicpu_dispatch_ns": 200, "aicpu_complete_ns": 300, "completion_poll_ns": 100,
 "host_task_ns": 250, "cold_start_axis": "b", "cold_start_ns": 2000}
EOF
}
split_machine 48
split_machine 100

i=0
run() {
  i=$((i + 1))
  "$bin" run "$@" --backend sim --trace "$out/t$i.json" --stats-json "$out/s$i.json" >/dev/null
}
run attention
run attention --dispatch work_steal --priority "b * 8 + h"
run attention --dispatch hash:h --streams 2 --stream-by b
run attention --timing batched:8
run attention --timing rate_limit:500 --window 64
run attention --dispatch affinity:b --timing interleaved:4
run attention --tile-kernels --queues 2
run attention --compute --dispatch round_robin
run attention --machine "$out/split48.json" --dispatch affinity:b
run attention --machine "$out/split48.json" --queues 1
run attention --machine "$out/split100.json" --dispatch round_robin
run attention --machine "$out/split100.json" --queues 3 --dispatch work_steal
run synthetic --shape grid --tasks 4096
run synthetic --shape chain --tasks 512
run synthetic --shape layers --tasks 2048 --window 100
run synthetic --shape imbalanced --tasks 2048 --dispatch work_steal
# Core-bound: every vector core busy while the cube cores idle, tasks queued behind them.
run synthetic --shape grid --tasks 4096 --cost-us 40
run synthetic --shape layers --tasks 2048 --cost-us 40 --queues 3 --dispatch work_steal
run attention --tile-kernels --timing rate_limit:2000 --window 256
(cd "$out" && cat t*.json s*.json | md5sum | cut -d' ' -f1)
