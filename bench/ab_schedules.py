#!/usr/bin/env python3
"""Two builds of the cli side by side on the cpu backend: the median makespan of each schedule of
bench/predict_cpu.py at each thread count, the binaries alternated A B B A ... process by process
(a noisy or lent host drifts; alternation spreads the drift over both). Prints one line per
(threads, schedule) with both medians and B / A.

  bench/ab_schedules.py OLD_CLI NEW_CLI --threads 4,8,16 [--kv-lengths ...] [--processes 4]
"""
import argparse, statistics

from predict_cpu import SCHEDULES, makespan


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--kv-lengths", default=None)
    ap.add_argument("--processes", type=int, default=4, help="per binary (even: A B B A)")
    ap.add_argument("--runs", default="5")
    args = ap.parse_args()
    size = ["--kv-lengths", args.kv_lengths] if args.kv_lengths else []
    ratios = []
    for t in args.threads.split(","):
        for s in SCHEDULES:
            flags = ["--threads", t, "--runs", args.runs] + size + s
            times = {args.a: [], args.b: []}
            for p in range(args.processes):
                order = (args.a, args.b) if p % 2 == 0 else (args.b, args.a)
                for cli in order:
                    times[cli].append(makespan(cli, flags))
            a, b = statistics.median(times[args.a]), statistics.median(times[args.b])
            ratios.append(b / a)
            print(f"T {t:>2} {' '.join(s):42s} A {a:8.3f} ms  B {b:8.3f} ms  B/A {b / a:5.2f}",
                  flush=True)
    print(f"geometric mean B/A {statistics.geometric_mean(ratios):.3f}")


if __name__ == "__main__":
    main()
