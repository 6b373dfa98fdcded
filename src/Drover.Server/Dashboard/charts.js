// Charts in plain SVG (no library): stacked bars over time and a histogram. Sizes are SVG
// attributes, never inline styles (the page's Content-Security-Policy refuses those); colours come
// from app.css classes.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, value);
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** A round number at or above max, for the top of an axis. */
function niceCeiling(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map(m => m * power).find(v => v >= max);
}
const short = v => v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(v < 10 ? 2 : 0)}`;

/**
 * Bars over time: one slot per step from `from` to `to` (ms), each a stack of `series`
 * ([{key, label, cls}]) read from `values(start)` (an object by key, or undefined for none).
 * `scale` turns a count into what the axis shows (per second).
 */
function timeBars({ from, to, step, series, values, scale = v => v, unit = '' }) {
  const width = 720, height = 180, left = 44, bottom = 20, top = 8;
  const slots = Math.round((to - from) / step);
  const slot = (width - left) / slots;
  let max = 0;
  const stacks = [];
  for (let i = 0; i < slots; i++) {
    const start = from + i * step, v = values(start);
    if (!v) continue;
    const total = series.reduce((a, k) => a + scale(v[k.key] ?? 0), 0);
    if (total <= 0) continue;
    max = Math.max(max, total);
    stacks.push({ i, start, v, total });
  }
  const ceiling = niceCeiling(max), y = v => top + (height - top - bottom) * (1 - v / ceiling);
  const bars = stacks.map(({ i, start, v, total }) => {
    let base = 0;
    const at = new Date(start).toLocaleTimeString();
    return s('g', { class: 'stack' }, s('title', {}, `${at}: ${series.map(k => `${k.label} ${short(scale(v[k.key] ?? 0))}${unit}`).join(', ')}`),
      series.map(k => {
        const value = scale(v[k.key] ?? 0);
        if (value <= 0) return null;
        const rect = s('rect', { class: k.cls, x: (left + i * slot).toFixed(2), width: Math.max(1, slot - 0.5).toFixed(2), y: y(base + value).toFixed(2), height: (y(base) - y(base + value)).toFixed(2) });
        base += value;
        return rect;
      }));
  });
  const minutes = Math.round((to - from) / 60000);
  return s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' },
    [0, 0.5, 1].map(f => [
      s('line', { class: 'grid', x1: left, x2: width, y1: y(ceiling * f), y2: y(ceiling * f) }),
      s('text', { class: 'axis', x: left - 6, y: y(ceiling * f) + 4, 'text-anchor': 'end' }, short(ceiling * f))]),
    [[0, `-${minutes} min`, 'start'], [0.5, `-${minutes / 2} min`, 'middle'], [1, 'now', 'end']].map(([f, label, anchor]) =>
      s('text', { class: 'axis', x: left + (width - left) * f, y: height - 4, 'text-anchor': anchor }, label)),
    bars);
}

/** Vertical bars, one per labelled bin ([{label, value, cls}]). */
function histogram(bins) {
  const width = 720, height = 180, bottom = 20, top = 14;
  const max = Math.max(1, ...bins.map(b => b.value)), slot = width / bins.length;
  return s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' },
    bins.map((b, i) => {
      const h = (height - top - bottom) * b.value / max, x = i * slot + slot * 0.15;
      return s('g', {},
        s('title', {}, `${b.label}: ${num(b.value)}`),
        s('rect', { class: b.cls ?? 'ok', x, width: slot * 0.7, y: height - bottom - h, height: h }),
        s('text', { class: 'axis', x: x + slot * 0.35, y: height - bottom - h - 3, 'text-anchor': 'middle' }, b.value ? num(b.value) : ''),
        s('text', { class: 'axis', x: x + slot * 0.35, y: height - 4, 'text-anchor': 'middle' }, b.label));
    }));
}

/** A line over time: points [[ms, value or null]] between from and to, from 0 to max. */
function lineChart(points, { from, to, max, unit = '' }) {
  const width = 720, height = 140, left = 44, bottom = 20, top = 8;
  const ceiling = niceCeiling(max);
  const x = t => left + (width - left) * (t - from) / Math.max(1, to - from);
  const y = v => top + (height - top - bottom) * (1 - v / ceiling);
  const drawn = points.filter(([, v]) => v != null);
  return s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' },
    [0, 0.5, 1].map(f => [
      s('line', { class: 'grid', x1: left, x2: width, y1: y(ceiling * f), y2: y(ceiling * f) }),
      s('text', { class: 'axis', x: left - 6, y: y(ceiling * f) + 4, 'text-anchor': 'end' }, `${short(ceiling * f)}${unit}`)]),
    s('text', { class: 'axis', x: left, y: height - 4 }, new Date(from).toLocaleTimeString()),
    s('text', { class: 'axis', x: width, y: height - 4, 'text-anchor': 'end' }, 'now'),
    drawn.length ? s('polyline', { class: 'line', points: drawn.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ') }) : null,
    drawn.map(([t, v]) => s('circle', { class: 'dot', cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 2.5 }, s('title', {}, `${new Date(t).toLocaleTimeString()}: ${short(v)}${unit}`))));
}
