#!/usr/bin/env bash
# Builds PTO-WSP and runs the main demo (installs missing Debian packages first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPTO_WSP_BUILD_TESTS=OFF \
      -DPTO_WSP_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build --target 02_attention
cd build && ./examples/02_attention  # writes attention_trace.json, attention_timeline.html here
