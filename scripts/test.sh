#!/usr/bin/env bash
# Builds PTO-WSP with its tests, benchmarks and examples and runs the whole test suite
# (installs missing Debian packages first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPTO_WSP_WERROR=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)"
