// Drover's dashboard: plain JavaScript, no build step, one file per page (loaded in order by
// index.html; app.js, last, routes). This file: the helpers every page uses. Every value from the
// server is set as text (never as HTML). Live updates come from the event WebSocket (/api/events),
// which the session cookie authenticates like the API calls.
'use strict';

const ENDED = new Set(['succeeded', 'failed', 'canceled']);
const STATES = ['pending', 'queued', 'assigned', 'running', 'paused', 'succeeded', 'failed', 'canceled'];
const MAX_ROWS = 200;
const MAX_OUTPUT = 200000;
const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes (on* become listeners) and children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  return el;
}

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {}
/** Thrown when the session is missing or over: the login form is already showing. */
class LoginNeeded extends ApiError {}

function problemText(problem, fallback) {
  const parts = [];
  if (problem.errors) for (const [field, messages] of Object.entries(problem.errors)) parts.push(`${field}: ${[].concat(messages).join('; ')}`);
  if (problem.detail) parts.push(problem.detail);
  return parts.join(' — ') || problem.title || fallback;
}

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (response.status === 401 && path !== '/api/session') { showLogin(); throw new LoginNeeded('Please log in.'); }
  if (!response.ok) throw new ApiError(problemText(await response.json().catch(() => ({})), response.statusText));
  return response.status === 204 ? null : response.json();
}

function toast(message, isError = false) {
  const el = $('#toast');
  el.textContent = message;
  el.className = isError ? 'toast error' : 'toast';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, isError ? 8000 : 3000);
}

/** Runs an action from a button, showing its error instead of throwing. */
async function act(action, done) {
  try { await action(); if (done) toast(done); } catch (e) { if (!(e instanceof LoginNeeded)) toast(e.message, true); }
}

// ---- live events ---------------------------------------------------------------------------

/**
 * Follows /api/events with the given query; calls onMessage for each message, and onOpen each time
 * the socket opened, the first time too: what changed before the subscription began (between the
 * page's first read and the socket's opening, or while it was away) is only in a read made after
 * it. Returns a function that stops.
 */
function follow(query, onMessage, onOpen) {
  let socket, stopped = false, attempt = 0, timer;
  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/events?${query}`);
    socket.onopen = () => { setLive(true); attempt = 1; if (onOpen) onOpen(); };
    socket.onmessage = e => onMessage(JSON.parse(e.data));
    socket.onclose = () => {
      if (stopped) return;
      setLive(false);
      timer = setTimeout(open, Math.min(10000, 500 * 2 ** Math.min(attempt++, 5)));
    };
  };
  open();
  return () => { stopped = true; clearTimeout(timer); socket.close(); };
}

/** The header's indicator: "live" while the page's updates arrive (events, or its regular reads), else "offline". */
function setLive(on) {
  const live = $('#live');
  live.textContent = on ? 'live' : 'offline';
  live.classList.toggle('on', on);
}

/**
 * Reads again every `every` ms (pages whose data has no events: workers' heartbeats, the overview's
 * counts); the indicator says whether the last read worked. Returns a function that stops.
 */
function poll(load, every) {
  let stopped = false, timer;
  const run = async () => {
    try { await load(); setLive(true); } catch (e) { setLive(false); if (e instanceof LoginNeeded) return; }
    if (!stopped) timer = setTimeout(run, every);
  };
  run();
  return () => { stopped = true; clearTimeout(timer); };
}

/**
 * Runs `read` one at a time: a call while it runs makes it run once more after, so that the last
 * read starts after the last call and an older answer never lands over a newer one. `busy()` says
 * whether a read is under way (a change that comes meanwhile may be older or newer than its answer).
 */
function serial(read) {
  let running = null, again = false;
  const run = () => {
    if (running) { again = true; return running; }
    running = (async () => {
      try { do { again = false; await read(); } while (again); } finally { running = null; }
    })();
    return running;
  };
  run.busy = () => running !== null;
  return run;
}

/**
 * Calls fn once, `wait` ms after the first of a run of calls: a steady stream of events re-reads
 * every `wait` ms (a debounce that restarted on each call would never fire under load).
 */
function debounce(fn, wait) {
  let timer = null;
  return () => { if (timer === null) timer = setTimeout(() => { timer = null; fn(); }, wait); };
}

// ---- formatting ----------------------------------------------------------------------------

const badge = status => h('span', { class: `badge ${status}` }, status);
// Ids are time-ordered (UUIDv7): their last characters are the ones that differ.
const shortId = id => id ? id.slice(-12) : '';
const time = t => t ? new Date(t).toLocaleString() : '';
function duration(task) {
  const start = task.started && Date.parse(task.started);
  if (!start) return '';
  return seconds(((task.completed ? Date.parse(task.completed) : Date.now()) - start) / 1000);
}
// As the CLI prints them: 0.4 s, 12.3 s, 3 m 04 s, 2 h 05 m.
function seconds(s) {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s % 3600 / 60)).padStart(2, '0')} m`;
}
/** A cell with a task's run time; running tasks' cells tick (see tick in app.js). */
function tookCell(task) {
  const running = task.started && !task.completed;
  return h('td', { class: 'num took', 'data-started': running ? task.started : null }, duration(task));
}
const num = n => Number(n).toLocaleString("en-US");
const bytes = n => n == null ? '' : n < 1024 ** 2 ? `${(n / 1024).toFixed(0)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(0)} MiB` : `${(n / 1024 ** 3).toFixed(1)} GiB`;
// Widths are set through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
function bar(parts, title) {
  return h('div', { class: 'bar', title }, parts.filter(([, f]) => f > 0).map(([cls, f]) => {
    const part = h('span', { class: cls });
    part.style.width = `${(f * 100).toFixed(1)}%`;
    return part;
  }));
}
const progressCell = task => task.progress != null ? bar([['run', task.progress]], `${Math.round(task.progress * 100)}%`) : '';
/** What a task runs, in one line. */
const definition = task => task.handler ? `handler ${task.handler}` : task.shell ? `${task.command?.[0] ?? ''}  (${task.shell})` : (task.command ?? []).join(' ');

/** A table that scrolls sideways on a narrow screen instead of being cut off. */
const scroller = table => h('div', { class: 'scroll' }, table);
const headers = names => h('thead', {}, h('tr', {}, names.map(c => c instanceof Node ? c : h('th', {}, c))));
/** A page's link with its query: #/tasks?status=failed. */
const link = (path, query = {}) => {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString();
  return `#/${path}${q ? `?${q}` : ''}`;
};

// ---- workers, by id, for names -------------------------------------------------------------

const workers = new Map();
/** Reads the workers (route() awaits it before a page draws, so rows show names from the start). */
async function loadWorkers() { for (const w of await api('GET', '/api/workers')) workers.set(w.id, w); }
const refreshWorkers = debounce(() => loadWorkers().catch(() => {}), 300);
const workerName = id => id ? (workers.get(id)?.name ?? (refreshWorkers(), shortId(id))) : '';
const workerLink = id => id ? h('a', { href: `#/worker/${id}` }, workerName(id)) : '';

