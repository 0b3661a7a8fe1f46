#!/usr/bin/env python3
"""How well the calibrated simulator predicts the cpu backend: for several schedules of the
attention example, the median cpu makespan (3 processes x `--runs 5`, median of medians) beside
one simulation on the machine description written by `pto-wsp calibrate`.

  bench/predict_cpu.py build/tools/pto-wsp host.json [--threads 2]
"""
import argparse, statistics, subprocess

SCHEDULES = [["--queues", "1"],
             ["--queues", "1", "--streams", "8", "--stream-by", "h"],
             ["--queues", "1", "--priority", "b*-1"],
             ["--queues", "2", "--dispatch", "work_steal"],
             ["--queues", "2", "--dispatch", "affinity:b"],
             ["--queues", "4", "--dispatch", "hash:h"]]

def makespan(cli, args):
    out = subprocess.run([cli, "run", "attention"] + args, capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if line.startswith("makespan over"):
            return float(line.split("median")[1].split()[0])
        if line.strip().startswith("makespan"):
            last = float(line.split()[1])
    return last

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli"); ap.add_argument("machine"); ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    for s in SCHEDULES:
        cpu = statistics.median(makespan(a.cli, ["--threads", a.threads, "--runs", "5"] + s)
                                for _ in range(3))
        sim = makespan(a.cli, ["--backend", "sim", "--machine", a.machine] + s)
        print(f"{' '.join(s):42s} cpu {cpu:7.3f} ms  sim {sim:7.3f} ms  error {100 * (sim - cpu) / cpu:+6.1f}%")

if __name__ == "__main__":
    main()
