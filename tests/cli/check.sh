#!/usr/bin/env bash
# The pto-wsp command line: --help documents every flag; every run prints stats and checksums;
# equal results under every schedule; trace files are written; a bad flag or key is one line on
# stderr and a non-zero exit.
set -uo pipefail
cli="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }

help="$("$cli" --help 2>&1)"
for flag in --backend --threads --queues --dispatch --streams --stream-by --timing --window \
            --window-mode --priority --trace --html --stats-json --shape --batch --tasks --cost-us; do
  check "help documents $flag" '[[ "$help" == *"$flag"* ]]'
done

# The same checksum under every schedule (chain is order-sensitive).
ref=""
for args in "" "--queues 3" "--queues 2 --dispatch affinity:b" "--queues 2 --dispatch hash:t%3" \
            "--queues 2 --dispatch work_steal" "--streams 2 --stream-by t" \
            "--timing batched:3" "--streams 2 --timing interleaved:2" "--timing rate_limit:50" \
            "--priority 'b*-1'" "--window 3" ; do
  out="$(eval "$cli" run synthetic --shape chain --batch 2 --tasks 16 --cost-us 1 --threads 2 $args)"
  rc=$?
  check "run with '$args' exits 0" '[ $rc -eq 0 ]'
  sum="$(grep '^checksum acc' <<<"$out")"
  check "run with '$args' prints a checksum" '[ -n "$sum" ]'
  check "run with '$args' prints stats" '[[ "$out" == *"tasks 16"* ]]'
  [ -z "$ref" ] && ref="$sum"
  check "checksum with '$args' equals the default's" '[ "$sum" == "$ref" ]'
done

"$cli" run synthetic --shape layers --tasks 32 --threads 2 --queues 2 --trace "$work/t.json" \
  --html "$work/t.html" --stats-json "$work/s.json" >/dev/null
check "trace written" '[ -s "$work/t.json" ] && grep -q traceEvents "$work/t.json"'
check "html written" '[ -s "$work/t.html" ] && grep -q "<canvas" "$work/t.html"'
check "stats json written" 'grep -q "\"tasks\": *64" "$work/s.json"'
"$cli" run attention --threads 2 >/dev/null
check "attention runs and matches its reference" '[ $? -eq 0 ]'
tile_cpu="$("$cli" run attention --tile-kernels --threads 2 | grep "^checksum O")"
tile_sim="$("$cli" run attention --tile-kernels --backend sim --compute)"
check "tile-language attention: sim --compute equals cpu" '[ "$(grep "^checksum O" <<<"$tile_sim")" == "$tile_cpu" ]'
check "tile-language attention: the step runs on cube cores" '[[ "$tile_sim" == *"cube 0"* ]]'

# The sim backend: the same checksum with --compute, a machine file, and calibration.
sim="$("$cli" run synthetic --shape chain --batch 2 --tasks 16 --cost-us 1 --backend sim --compute)"
check "sim --compute computes the cpu checksum" '[ "$(grep "^checksum acc" <<<"$sim")" == "$ref" ]'
check "sim reports simulated stats" '[[ "$sim" == *"backend sim"* && "$sim" == *"vector 0"* ]]'
"$cli" calibrate synthetic --shape layers --tasks 32 --cost-us 5 --threads 2 --runs 2 \
  --out "$work/host.json" >/dev/null
check "calibrate writes a machine description" 'grep -q "\"kernels\"" "$work/host.json"'
out="$("$cli" run synthetic --shape layers --tasks 32 --cost-us 5 --backend sim --queues 2 \
  --machine "$work/host.json" --dispatch work_steal)"
check "sim runs on the calibrated machine" '[[ "$out" == *"AICPU 1 vector 1"* ]]'

# Bad input: one line on stderr, a non-zero exit, nothing on stdout.
for bad in "run synthetic --timing batched:x" "run synthetic --dispatch affinity" \
           "run synthetic --dispatch nope" "run synthetic --stream-by 'h %'" \
           "run synthetic --streams 2 --stream-by h" "run synthetic --queues 0" \
           "run synthetic --shape ring" "run attention --tasks 8" "run nothing" \
           "run synthetic --tasks 10 --batch 4" "run synthetic --bogus" \
           "run synthetic --window 4 --window-mode abort --tasks 64" \
           "run synthetic --trace /nonexistent-dir/t.json" \
           "run synthetic --backend sim --machine /nonexistent/m.json" \
           "run synthetic --machine $work/host.json" "run synthetic --compute" \
           "calibrate synthetic" "run synthetic --backend gpu" \
           "run synthetic --backend sim --threads 2"; do
  eval "$cli" $bad >"$work/out" 2>"$work/err"
  rc=$?
  check "'$bad' exits non-zero" '[ $rc -ne 0 ]'
  check "'$bad' prints one line on stderr" '[ "$(wc -l <"$work/err")" -eq 1 ]'
  check "'$bad' names the problem" 'grep -q "error" "$work/err"'
done
exit $fail
