#!/usr/bin/env python3
"""Renders a PTO-WSP Chrome trace (pto-wsp --trace, Trace::write_chrome_json) as a small SVG
timeline: one lane per worker/core, one colour per value of an axis (default: the kernel name).
Tasks narrower than a pixel are folded into one pixel column, so the file stays small.

  trace_to_svg.py TRACE.json OUT.svg [--color-by AXIS] [--lanes N] [--width PX] [--title TEXT]
"""
import argparse, html, json

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace"); ap.add_argument("out")
    ap.add_argument("--color-by", default=None, help="an axis name; default: kernel")
    ap.add_argument("--lanes", type=int, default=0, help="draw only the first N lanes that ran tasks")
    ap.add_argument("--width", type=int, default=900)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    t = json.load(open(a.trace))
    names = {e["tid"]: e["args"]["name"] for e in t["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    tasks = [e for e in t["traceEvents"] if e["ph"] == "X"]
    end = max(e["ts"] + e["dur"] for e in tasks)
    lanes = sorted({e["tid"] for e in tasks})
    if a.lanes: lanes = lanes[:a.lanes]
    row = {tid: i for i, tid in enumerate(lanes)}
    left, top, lane_h, w = 150, 30, 12, a.width
    scale = w / end
    keys, cells = {}, {}
    for e in tasks:
        if e["tid"] not in row: continue
        key = str(e["args"]["axes"].get(a.color_by)) if a.color_by else e["name"]
        color = keys.setdefault(key, PALETTE[len(keys) % len(PALETTE)])
        x0, x1 = int(e["ts"] * scale), max(int(e["ts"] * scale), int((e["ts"] + e["dur"]) * scale) - 1)
        for x in range(x0, x1 + 1):
            cells[(row[e["tid"]], x)] = color  # one colour per pixel column: the last task there
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + w + 20}" '
           f'height="{top + lane_h * len(lanes) + 40}" font-family="sans-serif" font-size="10">',
           f'<text x="4" y="16" font-size="12">{html.escape(a.title)}</text>']
    for tid, i in row.items():
        out.append(f'<text x="4" y="{top + i * lane_h + 9}">{html.escape(names.get(tid, str(tid)))}</text>')
    for i in range(len(lanes)):  # merge runs of equal colour on a lane into one rectangle
        x = 0
        while x < w + 1:
            c = cells.get((i, x))
            if c is None: x += 1; continue
            x1 = x
            while cells.get((i, x1 + 1)) == c: x1 += 1
            out.append(f'<rect x="{left + x}" y="{top + i * lane_h}" width="{x1 - x + 1}" '
                       f'height="{lane_h - 2}" fill="{c}"/>')
            x = x1 + 1
    y = top + lane_h * len(lanes) + 14
    for k in range(6):
        us = end * k / 5
        out.append(f'<text x="{left + us * scale - 10:.0f}" y="{y}">{us:.0f} µs</text>')
    out.append("</svg>")
    open(a.out, "w").write("\n".join(out) + "\n")

if __name__ == "__main__":
    main()
