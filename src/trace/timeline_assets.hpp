// The fixed CSS and JavaScript of the HTML timeline, kept apart from the C++ that writes its data.
#pragma once

#include <string_view>

namespace pto::wsp::trace_text {

inline constexpr std::string_view kTimelineCss = R"css(
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1d2330; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 20px 0 6px; }
.summary { color: #555; margin-bottom: 8px; }
.controls { margin: 6px 0; }
.controls button { font: inherit; min-width: 28px; margin-right: 4px; }
.controls span { color: #666; margin-left: 8px; }
.legend { margin: 6px 0 8px; }
.legend span { display: inline-block; margin: 0 14px 4px 0; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
            vertical-align: -2px; border-radius: 2px; }
.wrap { position: relative; border: 1px solid #d0d4da; user-select: none; }
canvas { display: block; cursor: crosshair; }
.tip { position: absolute; display: none; pointer-events: none; white-space: pre;
       font: 12px/1.35 ui-monospace, monospace; background: #fffffe; border: 1px solid #9aa3b0;
       border-radius: 3px; padding: 6px 8px; box-shadow: 0 2px 6px rgba(0, 0, 0, .15); }
table { border-collapse: collapse; }
td, th { padding: 2px 10px; border-bottom: 1px solid #e3e6ea; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f7f9; padding: 8px; overflow-x: auto; }
)css";

// Reads `D` (written by Trace::html): workers (lane names), kernels and colors (by kernel index),
// axes (axis names) and tasks, each task an array in the field order below.
inline constexpr std::string_view kTimelineScript = R"js(
(function () {
  'use strict';
  const ID = 0, KER = 1, WRK = 2, QUE = 3, HOME = 4, STR = 5, SEQ = 6, GRP = 7, PRI = 8,
        GEN = 9, RDY = 10, ISS = 11, BEG = 12, END = 13, AXES = 14, DEPS = 15;
  const LANE_H = 20, AXIS_H = 26, MIN_SPAN = 10, FONT = '12px system-ui, sans-serif';
  const T = D.tasks, names = D.workers;
  const canvas = document.getElementById('timeline');
  const ctx = canvas.getContext('2d');
  const tip = document.getElementById('tip');

  // Per lane: task indices by start time, and the running maximum of their ends, so the first
  // task that reaches a given time is a binary search even if a trace had overlapping tasks.
  const lanes = names.map(() => []);
  let last = 0;
  for (let i = 0; i < T.length; ++i) {
    const w = T[i][WRK];
    if (w >= 0 && w < lanes.length) lanes[w].push(i);
    if (T[i][END] > last) last = T[i][END];
  }
  const reach = lanes.map((idx) => {
    idx.sort((a, b) => T[a][BEG] - T[b][BEG]);
    const r = new Float64Array(idx.length);
    let m = -Infinity;
    for (let k = 0; k < idx.length; ++k) r[k] = m = Math.max(m, T[idx[k]][END]);
    return r;
  });
  const full = Math.max(last, MIN_SPAN);
  let v0 = 0, v1 = full, labelW = 120, width = 0, hover = -1, drag = null;

  function firstReaching(lane, t) {
    const r = reach[lane];
    let lo = 0, hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function tickLabel(ns, step) {
    // The unit a step of 100..999 of the smaller unit reads best in: 0.5 µs, not 500 ns.
    const [div, unit] = step >= 1e8 ? [1e9, 's'] : step >= 1e5 ? [1e6, 'ms']
                      : step >= 1e2 ? [1e3, '\u00b5s'] : [1, 'ns'];
    const digits = Math.max(0, Math.ceil(-Math.log10(step / div) - 1e-9));
    return (ns / div).toFixed(digits) + ' ' + unit;
  }
  function us(ns) { return (ns / 1000).toFixed(3) + ' \u00b5s'; }
  function plotW() { return Math.max(1, width - labelW); }

  function layout() {
    const dpr = window.devicePixelRatio || 1;
    width = canvas.parentElement.clientWidth;
    const height = AXIS_H + lanes.length * LANE_H + 1;
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = FONT;
    let widest = 60;
    for (const n of names) widest = Math.max(widest, ctx.measureText(n).width);
    labelW = Math.min(260, Math.ceil(widest) + 16);
    draw();
  }

  function draw() {
    const pw = plotW(), scale = pw / (v1 - v0), h = AXIS_H + lanes.length * LANE_H;
    ctx.clearRect(0, 0, width, h + 1);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    for (let l = 0; l < lanes.length; ++l) {
      const y = AXIS_H + l * LANE_H;
      ctx.fillStyle = l % 2 ? '#f3f4f6' : '#ffffff';
      ctx.fillRect(0, y, width, LANE_H);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(names[l], 6, y + LANE_H / 2, labelW - 10);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(labelW, 0, pw, h + 1);
    ctx.clip();
    const step = niceStep((v1 - v0) / Math.max(2, pw / 110));
    ctx.strokeStyle = '#d0d4da';
    ctx.fillStyle = '#444';
    for (let k = Math.ceil(v0 / step); k * step <= v1; ++k) {
      const x = Math.round(labelW + (k * step - v0) * scale) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, AXIS_H - 8);
      ctx.lineTo(x, h);
      ctx.stroke();
      ctx.fillText(tickLabel(k * step, step), x + 3, AXIS_H / 2 - 2);
    }
    const lo = labelW - 2, hi = labelW + pw + 2;
    for (let l = 0; l < lanes.length; ++l) {
      const idx = lanes[l], y = AXIS_H + l * LANE_H + 2, bh = LANE_H - 4;
      let painted = -Infinity;  // the last pixel column a sub-pixel task was painted in
      for (let k = firstReaching(l, v0); k < idx.length; ++k) {
        const e = T[idx[k]];
        if (e[BEG] > v1) break;
        const x0 = Math.max(lo, labelW + (e[BEG] - v0) * scale);
        const x1 = Math.min(hi, labelW + (e[END] - v0) * scale);
        ctx.fillStyle = D.colors[e[KER]];
        if (x1 - x0 < 1) {
          // A million tasks cannot each be drawn: paint a pixel column once, in the colour of
          // the first task that falls in it, and jump past the tasks that end inside it.
          const px = Math.floor(x0);
          if (px <= painted) continue;
          painted = px;
          ctx.fillRect(px, y, 1, bh);
          k = Math.max(k, firstReaching(l, v0 + (px + 1 - labelW) / scale) - 1);
        } else {
          ctx.fillRect(x0, y, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0, bh);
        }
      }
    }
    if (hover >= 0) {
      const e = T[hover];
      const x0 = Math.max(lo, labelW + (e[BEG] - v0) * scale);
      const x1 = Math.min(hi, labelW + (e[END] - v0) * scale);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, AXIS_H + e[WRK] * LANE_H + 1, Math.max(1, x1 - x0), LANE_H - 2);
      ctx.lineWidth = 1;
    }
    ctx.restore();
  }

  // The task under (mx, my), or the nearest one within 3 pixels; -1 if none.
  function hit(mx, my) {
    const l = Math.floor((my - AXIS_H) / LANE_H);
    if (l < 0 || l >= lanes.length || mx < labelW) return -1;
    const scale = plotW() / (v1 - v0), t = v0 + (mx - labelW) / scale, tol = 3 / scale;
    const idx = lanes[l];
    let best = -1, bestD = Infinity;
    for (let k = firstReaching(l, t - tol); k < idx.length; ++k) {
      const e = T[idx[k]];
      if (e[BEG] > t + tol) break;
      const d = t < e[BEG] ? e[BEG] - t : t > e[END] ? t - e[END] : 0;
      if (d < bestD) { bestD = d; best = idx[k]; }
      if (d === 0) break;
    }
    return bestD <= tol ? best : -1;
  }

  function describe(i) {
    const e = T[i], ax = e[AXES], deps = e[DEPS], axes = [];
    for (let k = 0; k + 1 < ax.length; k += 2) axes.push(D.axes[ax[k]] + '=' + ax[k + 1]);
    let dl = deps.slice(0, 16).join(', ');
    if (deps.length > 16) dl += ', \u2026 (' + deps.length + ' in all)';
    return [
      D.kernels[e[KER]] + '   task ' + e[ID],
      'axes      ' + (axes.length ? axes.join(', ') : '-'),
      'worker    ' + e[WRK] + '   queue ' + e[QUE] + '   home_queue ' + e[HOME] +
          '   stream ' + e[STR],
      'issue seq ' + e[SEQ] + '   group ' + e[GRP] + '   priority ' + e[PRI],
      'gen       ' + us(e[GEN]),
      'ready     ' + us(e[RDY]),
      'issue     ' + us(e[ISS]),
      'start     ' + us(e[BEG]),
      'end       ' + us(e[END]),
      'duration  ' + us(e[END] - e[BEG]),
      'deps      ' + (deps.length ? dl : '-'),
    ].join('\n');
  }

  function setView(a, span) {
    span = Math.min(Math.max(span, MIN_SPAN), full);
    v0 = Math.min(Math.max(a, 0), full - span);
    v1 = v0 + span;
    draw();
  }
  function zoom(anchor, f) {
    const span = Math.min(Math.max((v1 - v0) * f, MIN_SPAN), full);
    setView(anchor - (anchor - v0) * span / (v1 - v0), span);
  }
  function mouse(ev) {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }

  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [mx] = mouse(ev);
    const lines = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
    zoom(v0 + Math.max(0, mx - labelW) * (v1 - v0) / plotW(), Math.exp(ev.deltaY * lines * 0.002));
  }, {passive: false});
  canvas.addEventListener('mousedown', (ev) => {
    drag = {x: ev.clientX, v0: v0};
    canvas.style.cursor = 'grabbing';
    tip.style.display = 'none';
  });
  window.addEventListener('mouseup', () => {
    drag = null;
    canvas.style.cursor = '';
  });
  window.addEventListener('mousemove', (ev) => {
    if (drag) setView(drag.v0 - (ev.clientX - drag.x) * (v1 - v0) / plotW(), v1 - v0);
  });
  canvas.addEventListener('mousemove', (ev) => {
    if (drag) return;
    const [mx, my] = mouse(ev);
    const i = hit(mx, my);
    if (i !== hover) {
      hover = i;
      draw();
    }
    if (i < 0) {
      tip.style.display = 'none';
      return;
    }
    tip.textContent = describe(i);
    tip.style.display = 'block';
    const left = mx + 16 + tip.offsetWidth > width ? mx - 16 - tip.offsetWidth : mx + 16;
    tip.style.left = Math.max(0, left) + 'px';
    tip.style.top = (my + 16) + 'px';
  });
  canvas.addEventListener('mouseleave', () => {
    tip.style.display = 'none';
    if (hover >= 0) {
      hover = -1;
      draw();
    }
  });
  document.getElementById('zoom-in').onclick = () => zoom((v0 + v1) / 2, 0.5);
  document.getElementById('zoom-out').onclick = () => zoom((v0 + v1) / 2, 2);
  document.getElementById('zoom-reset').onclick = () => setView(0, full);
  window.addEventListener('resize', layout);
  layout();
})();
)js";

}  // namespace pto::wsp::trace_text
