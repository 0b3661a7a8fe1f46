#!/usr/bin/env python3
"""How well the calibrated simulator predicts the cpu backend: for several schedules of the
attention example, the median cpu makespan (P processes x `--runs R`, median of medians) beside
one simulation on the machine description written by `pto-wsp calibrate` (run it with the same
--threads and --kv-lengths).

  bench/predict_cpu.py build/tools/pto-wsp host.json [--threads 2] [--kv-lengths 512,4096,...]
                       [--stats-dir DIR]

With --stats-dir, each cpu process also writes the stats of its last run (scheduling, idle and
generation time, per-worker busy time) to DIR/<schedule>-<process>.json, for fitting a better
overhead model offline.
"""
import argparse, os, statistics, subprocess

SCHEDULES = [["--queues", "1"],
             ["--queues", "1", "--streams", "8", "--stream-by", "h"],
             ["--queues", "1", "--priority", "b*-1"],
             ["--queues", "2", "--dispatch", "work_steal"],
             ["--queues", "2", "--dispatch", "affinity:b"],
             ["--queues", "4", "--dispatch", "hash:h"]]

def makespan(cli, args):
    out = subprocess.run([cli, "run", "attention"] + args, capture_output=True, text=True,
                         check=True).stdout
    last = None
    for line in out.splitlines():
        if line.startswith("makespan over"):
            return float(line.split("median")[1].split()[0])
        if line.strip().startswith("makespan"):
            last = float(line.split()[1])
    return last

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli"); ap.add_argument("machine")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--kv-lengths", default=None)
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--runs", default="5")
    ap.add_argument("--stats-dir", default=None)
    a = ap.parse_args()
    if a.stats_dir:
        os.makedirs(a.stats_dir, exist_ok=True)
    size = ["--kv-lengths", a.kv_lengths] if a.kv_lengths else []
    errors = []
    for s in SCHEDULES:
        name = "_".join(x.strip("-").replace(":", "-").replace("*", "x") for x in s)
        runs = []
        for p in range(a.processes):
            stats = (["--stats-json", os.path.join(a.stats_dir, f"{name}-{p}.json")]
                     if a.stats_dir else [])
            runs.append(makespan(a.cli, ["--threads", a.threads, "--runs", a.runs] + size + s +
                                 stats))
        cpu = statistics.median(runs)
        sim = makespan(a.cli, ["--backend", "sim", "--machine", a.machine] + size + s)
        errors.append(100 * (sim - cpu) / cpu)
        print(f"{' '.join(s):42s} cpu {cpu:8.3f} ms  sim {sim:8.3f} ms  error {errors[-1]:+6.1f}%  "
              f"(cpu processes {' '.join(f'{r:.3f}' for r in runs)})",
              flush=True)
    print(f"mean |error| {statistics.mean(abs(e) for e in errors):.1f}%, "
          f"max |error| {max(abs(e) for e in errors):.1f}%")

if __name__ == "__main__":
    main()
