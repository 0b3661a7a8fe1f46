#!/usr/bin/env bash
# Packs built programs with every shared library they load (the C library and its loader
# included) into one folder that runs on another x86-64 Linux host without this one's packages —
# a lent benchmark host, say, whose distribution differs. Each program gets a wrapper of its own
# name that starts it through the packed loader:
#
#   scripts/pack-binaries.sh OUTDIR build/tools/pto-wsp build/bench/bench_e2e
#   OUTDIR/pto-wsp run attention --threads 16        # on the other host
#
# Libraries opened at run time with dlopen (OpenBLAS for the tile kernels' matmuls) are not
# packed: without them the runtime falls back to Eigen (docs/tile.md).
set -euo pipefail
out=$1
shift
mkdir -p "$out/lib"
for bin in "$@"; do
  name=$(basename "$bin")
  cp "$bin" "$out/$name.bin"
  # ldd prints "libx.so => /path (addr)" for libraries and "/lib64/ld-linux... (addr)" for the
  # loader; both are copied (the files, not the links).
  ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    cp -L "$lib" "$out/lib/"
  done
  cat >"$out/$name" <<EOF
#!/bin/sh
d=\$(dirname "\$(readlink -f "\$0")")
exec "\$d/lib/$(basename "$(ldd "$bin" | awk '$1 ~ /^\// {print $1}')")" --library-path "\$d/lib" "\$d/$name.bin" "\$@"
EOF
  chmod +x "$out/$name"
done
