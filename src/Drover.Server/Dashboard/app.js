// Drover's dashboard: plain JavaScript, no build step. Every value from the server is set as text
// (never as HTML). Pages: #/tasks, #/task/ID, #/batches, #/workers (with recruiters and jobs). Live updates come from the
// event WebSocket (/api/events), which the session cookie authenticates like the API calls.
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
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
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
 * Follows /api/events with the given query; calls onMessage for each message, and onReconnect
 * after the socket came back (changes in between are unknown: re-read). Returns a function that stops.
 */
function follow(query, onMessage, onReconnect) {
  let socket, stopped = false, attempt = 0, timer;
  const live = $('#live');
  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/events?${query}`);
    socket.onopen = () => { live.textContent = 'live'; live.classList.add('on'); if (attempt++ > 0 && onReconnect) onReconnect(); attempt = 1; };
    socket.onmessage = e => onMessage(JSON.parse(e.data));
    socket.onclose = () => {
      live.textContent = 'offline'; live.classList.remove('on');
      if (!stopped) timer = setTimeout(open, Math.min(10000, 500 * 2 ** Math.min(attempt++, 5)));
    };
  };
  open();
  return () => { stopped = true; clearTimeout(timer); socket.close(); live.textContent = ''; live.classList.remove('on'); };
}

/** Calls fn at most once per wait, after the last call. */
function debounce(fn, wait) {
  let timer;
  return () => { clearTimeout(timer); timer = setTimeout(fn, wait); };
}

// ---- formatting ----------------------------------------------------------------------------

const badge = status => h('span', { class: `badge ${status}` }, status);
// Ids are time-ordered (UUIDv7): their last characters are the ones that differ.
const shortId = id => id ? id.slice(-12) : '';
const time = t => t ? new Date(t).toLocaleString() : '';
function duration(task) {
  const start = task.started && Date.parse(task.started);
  if (!start) return '';
  const seconds = ((task.completed ? Date.parse(task.completed) : Date.now()) - start) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : seconds < 3600 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${(seconds / 3600).toFixed(1)} h`;
}
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
const definition = task => task.handler ? `handler ${task.handler}` : task.shell ? `${task.command?.[0] ?? ''}  (${task.shell})` : (task.command ?? []).join(' ');

// ---- workers, by id, for names -------------------------------------------------------------

const workers = new Map();
const refreshWorkers = debounce(async () => { for (const w of await api('GET', '/api/workers')) workers.set(w.id, w); }, 300);
const workerName = id => id ? (workers.get(id)?.name ?? (refreshWorkers(), shortId(id))) : '';

// ---- pages ---------------------------------------------------------------------------------

/** The tasks table: filters, a JSON filter box, rows that change live. */
function tasksPage(main) {
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STATES.map(s => h('option', { value: s }, s)));
  const batch = h('input', { name: 'batch', placeholder: 'any' });
  const group = h('input', { name: 'group', placeholder: 'any' });
  const json = h('textarea', { name: 'filter', placeholder: '{"name": {"$regex": "^align"}}' });
  const count = h('span', { class: 'muted' });
  const body = h('tbody');
  const rows = new Map();
  let jsonFilter = null;

  const simple = () => {
    const filter = {};
    if (status.value) filter.status = status.value;
    if (batch.value.trim()) filter.batch = batch.value.trim();
    if (group.value.trim()) filter.group = group.value.trim();
    return filter;
  };
  const matches = task => Object.entries(simple()).every(([k, v]) => task[k] === v);
  const row = task => h('tr', { 'data-id': task.id, 'data-status': task.status },
    h('td', {}, badge(task.status)),
    h('td', {}, h('a', { href: `#/task/${task.id}` }, task.name || shortId(task.id))),
    h('td', {}, task.batch), h('td', {}, task.group ?? ''), h('td', {}, workerName(task.worker_id)),
    h('td', {}, progressCell(task), task.status_message ? h('div', { class: 'muted' }, task.status_message) : null),
    h('td', {}, time(task.submitted)), h('td', { class: 'num' }, duration(task)));
  const put = (task, atTop) => {
    const old = rows.get(task.id);
    const el = row(task);
    if (old) old.replaceWith(el);
    else if (atTop) body.prepend(el);
    else body.append(el);
    rows.set(task.id, el);
    while (rows.size > MAX_ROWS) { const last = body.lastElementChild; rows.delete(last.dataset.id); last.remove(); }
    count.textContent = rows.size === MAX_ROWS ? `the latest ${MAX_ROWS}` : `${rows.size} tasks`;
  };
  const load = async () => {
    let filter = simple();
    if (jsonFilter) filter = { $and: [filter, jsonFilter] };
    const tasks = await api('POST', '/api/tasks/query', { filter, sort: ['-submitted'], limit: MAX_ROWS });
    body.replaceChildren();
    rows.clear();
    count.textContent = '0 tasks';
    for (const task of tasks) put(task, false);
    if (!tasks.length) body.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No tasks match.')));
  };
  const apply = async e => {
    e?.preventDefault();
    try {
      jsonFilter = json.value.trim() ? JSON.parse(json.value) : null;
    } catch (error) { toast(`The filter is not valid JSON: ${error.message}`, true); return; }
    act(load);
  };
  const reload = debounce(() => act(load), 500);

  main.replaceChildren(
    h('h1', {}, 'Tasks'),
    h('form', { class: 'filters', onsubmit: apply },
      h('label', {}, 'Status', status), h('label', {}, 'Batch', batch), h('label', {}, 'Group', group),
      h('label', {}, 'Query filter (JSON)', json), h('button', { type: 'submit' }, 'Apply'), count),
    h('table', { id: 'tasks' }, h('thead', {}, h('tr', {}, ['Status', 'Name', 'Batch', 'Group', 'Worker', 'Progress', 'Submitted', 'Took'].map(c => h('th', {}, c)))), body));
  status.addEventListener('change', apply);
  act(load);
  return follow('all=true', message => {
    for (const task of message.add ?? []) {
      if (jsonFilter) reload(); // the server's filter decides: read again
      else if (matches(task)) { body.querySelector('.empty')?.parentElement.remove(); put(task, true); }
    }
    for (const task of message.update ?? []) {
      if (rows.has(task.id)) {
        if (jsonFilter || matches(task)) put(task); else { rows.get(task.id).remove(); rows.delete(task.id); }
      } else if (!jsonFilter && matches(task)) reload(); // came into the filter: its place is by submit time
    }
    if (message.resync) reload();
  }, reload);
}

/** One task: its definition, executions, live output, status and the buttons that act on it. */
function taskPage(main, id) {
  const header = h('div');
  const facts = h('dl', { class: 'grid' });
  const executions = h('tbody');
  const stdout = h('pre', { class: 'output', id: 'stdout' });
  const stderr = h('pre', { class: 'output stderr', id: 'stderr' });
  const shown = { stdout: 0, stderr: 0 };
  let task = null, execution = null;

  const append = (pre, text) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = (pre.textContent + text).slice(-MAX_OUTPUT);
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  // A chunk carries its stream's byte total after it: show only what was not shown yet.
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  const fresh = (stream, text, total) => {
    if (!text) return '';
    if (total == null) return text;
    const encoded = encoder.encode(text);
    let skip = Math.max(0, Math.min(encoded.length, shown[stream] - (total - encoded.length)));
    while (skip < encoded.length && (encoded[skip] & 0xC0) === 0x80) skip++;
    shown[stream] = Math.max(shown[stream], total);
    return decoder.decode(encoded.subarray(skip));
  };

  const signal = name => act(() => api('POST', `/api/tasks/${id}/signal`, { signal: name }), `Sent ${name}.`);
  const render = () => {
    const ended = ENDED.has(task.status);
    header.replaceChildren(
      h('h1', {}, task.name || 'Task', ' ', badge(task.status)),
      h('div', { class: 'mono muted' }, task.id),
      h('div', { class: 'status-line' },
        task.progress != null ? bar([['run', task.progress]], '') : null,
        task.progress != null ? `${Math.round(task.progress * 100)}%` : null,
        h('span', { id: 'status-message' }, task.status_message ?? '')),
      h('div', { class: 'actions write' },
        h('button', { onclick: () => signal('pause'), disabled: task.status !== 'running' }, 'Pause'),
        h('button', { onclick: () => signal('resume'), disabled: task.status !== 'paused' }, 'Resume'),
        h('button', { class: 'danger', onclick: () => signal('kill'), disabled: !['running', 'paused'].includes(task.status) }, 'Kill'),
        h('button', { class: 'danger', onclick: () => act(() => api('POST', `/api/tasks/${id}/cancel`), 'Canceled.'), disabled: ended }, 'Cancel'),
        h('button', {
          class: 'quiet', disabled: !ended,
          onclick: () => act(async () => { const [created] = await api('POST', '/api/tasks/resubmit', { ids: [id] }); location.hash = `#/task/${created.id}`; }),
        }, 'Resubmit')));
    const fact = (name, value) => value === undefined || value === null || value === '' ? [] : [h('dt', {}, name), h('dd', {}, value)];
    facts.replaceChildren(
      ...fact('Runs', h('code', {}, definition(task))),
      ...fact('Args', task.args !== undefined && task.args !== null ? h('code', {}, JSON.stringify(task.args)) : null),
      ...fact('Env', task.env ? h('code', {}, Object.entries(task.env).map(([k, v]) => `${k}=${v}`).join(' ')) : null),
      ...fact('Batch', task.batch), ...fact('Group', task.group), ...fact('Priority', task.priority),
      ...fact('Retry', task.retry), ...fact('Timeout', task.timeout),
      ...fact('Requires', task.requires?.length ? task.requires.map(r => [h('a', { href: `#/task/${r}` }, shortId(r)), ' ']) : null),
      ...fact('Worker', workerName(task.worker_id)), ...fact('Attempts', task.attempts),
      ...fact('Submitted', time(task.submitted)), ...fact('Started', time(task.started)), ...fact('Completed', time(task.completed)),
      ...fact('Took', duration(task)), ...fact('Exit code', task.exit_code), ...fact('Reason', task.reason), ...fact('Error', task.error),
      ...fact('Result', task.result !== undefined && task.result !== null ? h('code', {}, JSON.stringify(task.result)) : null),
      ...fact('Resubmitted as', task.resubmitted ? h('a', { href: `#/task/${task.resubmitted}` }, shortId(task.resubmitted)) : null),
      ...fact('Resubmitted from', task.resubmitted_from ? h('a', { href: `#/task/${task.resubmitted_from}` }, shortId(task.resubmitted_from)) : null));
  };
  const loadExecutions = async () => {
    const list = await api('GET', `/api/tasks/${id}/executions`);
    executions.replaceChildren(...list.map(x => h('tr', {},
      h('td', { class: 'num' }, x.attempt), h('td', {}, badge(x.status)), h('td', {}, workerName(x.worker_id)),
      h('td', {}, time(x.started)), h('td', {}, time(x.completed)), h('td', { class: 'num' }, x.exit_code ?? ''), h('td', {}, x.reason ?? ''))));
    if (!list.length) executions.append(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Not run yet.')));
  };
  const load = async () => {
    task = await api('GET', `/api/tasks/${id}`);
    execution = task.execution_id;
    stdout.textContent = (task.stdout ?? '').slice(-MAX_OUTPUT);
    stderr.textContent = (task.stderr ?? '').slice(-MAX_OUTPUT);
    shown.stdout = task.stdout_bytes ?? 0;
    shown.stderr = task.stderr_bytes ?? 0;
    render();
    await loadExecutions();
  };

  main.replaceChildren(header, facts,
    h('h2', {}, 'Output'), stdout, h('h2', {}, 'Errors'), stderr,
    h('h2', {}, 'Executions'),
    h('table', {}, h('thead', {}, h('tr', {}, ['#', 'Status', 'Worker', 'Started', 'Completed', 'Exit', 'Reason'].map(c => h('th', {}, c)))), executions));
  act(load);
  return follow(`task=${encodeURIComponent(id)}`, message => {
    if (message.output && message.output.task === id && task) {
      const o = message.output;
      if (o.execution !== execution) { // a new attempt: its output starts afresh
        execution = o.execution; shown.stdout = shown.stderr = 0; stdout.textContent = ''; stderr.textContent = '';
      }
      append(stdout, fresh('stdout', o.stdout, o.stdout_bytes));
      append(stderr, fresh('stderr', o.stderr, o.stderr_bytes));
    }
    for (const changed of [...(message.add ?? []), ...(message.update ?? [])]) {
      if (changed.id !== id || !task) continue;
      const statusChanged = changed.status !== task.status;
      task = { ...task, ...changed, stdout: task.stdout, stderr: task.stderr, args: task.args, result: changed.result ?? task.result };
      render();
      if (statusChanged) act(ENDED.has(task.status) ? load : loadExecutions);
    }
    if (message.resync) act(load);
  }, () => act(load));
}

/** Batches: progress and counts, live; pause, resume, cancel. */
function batchesPage(main) {
  const body = h('tbody');
  const load = async () => {
    const batches = await api('GET', '/api/batches');
    body.replaceChildren(...batches.map(b => {
      const c = b.counts, total = Object.values(c).reduce((a, n) => a + n, 0) || 1;
      const ok = c.succeeded ?? 0, bad = (c.failed ?? 0) + (c.canceled ?? 0), running = (c.running ?? 0) + (c.assigned ?? 0) + (c.paused ?? 0);
      const waiting = (c.queued ?? 0) + (c.pending ?? 0);
      const action = (verb, label, cls) => h('button', { class: cls, onclick: () => act(async () => { await api('POST', `/api/batches/${encodeURIComponent(b.name)}/${verb}`); await load(); }, `${label}: ${b.name}`) }, label);
      return h('tr', { 'data-batch': b.name },
        h('td', {}, b.name, b.paused ? [' ', badge('paused')] : null),
        h('td', { class: 'wide' }, bar([['ok', ok / total], ['bad', bad / total], ['run', running / total]], `${Math.round((ok + bad) / total * 100)}% ended`)),
        h('td', { class: 'num' }, ok), h('td', { class: 'num' }, bad), h('td', { class: 'num' }, running), h('td', { class: 'num' }, waiting),
        h('td', { class: 'num' }, b.total),
        h('td', { class: 'actions write' }, b.paused ? action('resume', 'Resume') : action('pause', 'Pause'), action('cancel', 'Cancel', 'danger')));
    }));
    if (!batches.length) body.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No batches yet.')));
  };
  main.replaceChildren(h('h1', {}, 'Batches'),
    h('table', { id: 'batches' }, h('thead', {}, h('tr', {}, ['Batch', 'Progress', 'Succeeded', 'Failed', 'Running', 'Waiting', 'Total', ''].map(c => h('th', {}, c)))), body));
  act(load);
  const reload = debounce(() => act(load), 500);
  return follow('all=true', reload, reload);
}

/** Recruiters, and the jobs that deployed, gave back and recycled workers (each job's log one click away). */
async function loadRecruitment(recruiterBody, jobBody) {
  const [recruiters, jobs] = await Promise.all([api('GET', '/api/recruiters'), api('GET', '/api/jobs?limit=50')]);
  recruiterBody.replaceChildren(...recruiters.map(r => h('tr', { 'data-recruiter': `${r.batch}/${r.rank}` },
    h('td', {}, r.batch), h('td', { class: 'num' }, r.rank), h('td', {}, r.provider, r.flavor ? h('div', { class: 'muted' }, r.flavor) : null),
    h('td', {}, `${r.maximum_workers} max, 1 per ${r.tasks_per_worker} waiting${r.minimum_tasks ? `, from ${r.minimum_tasks}` : ''}`),
    h('td', {}, `concurrency ${r.worker_concurrency}, prefetch ${r.worker_prefetch ?? 'auto'}`),
    h('td', {}, r.deploy_failures ? h('span', { class: 'error' }, `${r.deploy_failures} failed deploy(s)${r.next_deploy ? `, next at ${time(r.next_deploy)}` : ''}`) : ''))));
  if (!recruiters.length) recruiterBody.append(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No recruiters. Add one with: drover recruiter add BATCH')));
  const open = new Set([...jobBody.querySelectorAll('details[open]')].map(d => d.dataset.job));
  jobBody.replaceChildren(...jobs.map(j => h('tr', { 'data-job': j.id },
    h('td', {}, j.action), h('td', {}, j.target), h('td', {}, j.provider), h('td', {}, j.batch ?? ''), h('td', {}, badge(j.status)),
    h('td', {}, time(j.created)),
    h('td', { class: 'wide' }, j.reason ? h('div', { class: 'error' }, j.reason) : null,
      h('details', { 'data-job': j.id, open: open.has(j.id) }, h('summary', {}, 'log'), h('pre', { class: 'output' }, j.log ?? ''))))));
  if (!jobs.length) jobBody.append(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No jobs yet: recruiters make them as batches wait.')));
}

/** Workers: state, machine stats, running tasks; concurrency and prefetch edited in place; recruiters and their jobs below. */
function workersPage(main) {
  const body = h('tbody');
  const recruiterBody = h('tbody');
  const jobBody = h('tbody');
  const load = async () => {
    // Recruiters and jobs are an admin's; other tokens see the workers only.
    if (me.role === 'admin') await loadRecruitment(recruiterBody, jobBody);
    // Workers stopped or lost more than 10 minutes ago are left out (drover workers --all lists them; the server purges them after --keep-workers).
    const list = (await api('GET', '/api/workers')).filter(w => !(['stopped', 'lost'].includes(w.status) && Date.now() - Date.parse(w.last_seen) > 600000));
    const editing = body.querySelector('input:focus, input[data-dirty]');
    if (editing) return; // do not redraw under someone typing
    body.replaceChildren(...list.map(w => {
      workers.set(w.id, w);
      const concurrency = h('input', { class: 'small', type: 'number', min: 1, value: w.concurrency, name: 'concurrency', disabled: me.role !== 'admin', oninput: e => { e.target.dataset.dirty = '1'; } });
      // "auto" (sized from the worker's run times) or a number of tasks.
      const prefetch = h('input', { class: 'small', value: w.prefetch_auto ? 'auto' : w.prefetch, name: 'prefetch', title: 'auto, or a number of tasks', disabled: me.role !== 'admin', oninput: e => { e.target.dataset.dirty = '1'; } });
      const save = () => act(async () => {
        const held = prefetch.value.trim() === 'auto' ? { prefetch_auto: true } : { prefetch: Number(prefetch.value) };
        await api('PATCH', `/api/workers/${w.id}`, { concurrency: Number(concurrency.value), ...held });
        delete concurrency.dataset.dirty; delete prefetch.dataset.dirty;
        await load();
      }, `Saved ${w.name}.`);
      const s = w.stats ?? {};
      return h('tr', { 'data-worker': w.id },
        h('td', {}, w.name, h('div', { class: 'muted' }, `${w.hostname ?? ''} ${w.pid ? `pid ${w.pid}` : ''}${w.provider ? ` · ${w.provider}/${w.flavor}` : ''}`)),
        h('td', {}, badge(w.status)),
        h('td', { class: 'num' }, w.running),
        h('td', {}, concurrency), h('td', {}, prefetch), h('td', {}, h('button', { class: 'quiet admin-only', onclick: save }, 'Save')),
        h('td', {}, s.load1 != null ? `${s.load1.toFixed(2)} / ${s.cpus} CPUs` : ''),
        h('td', {}, s.memory_total_bytes ? `${bytes(s.memory_used_bytes)} of ${bytes(s.memory_total_bytes)}` : ''),
        h('td', {}, w.batch ?? 'all'), h('td', {}, time(w.last_seen)));
    }));
    if (!list.length) body.append(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No workers. Start one with: drover worker')));
  };
  main.replaceChildren(h('h1', {}, 'Workers'),
    h('table', { id: 'workers' }, h('thead', {}, h('tr', {}, ['Worker', 'State', 'Running', 'Concurrency', 'Prefetch', '', 'Load', 'Memory', 'Batch', 'Last seen'].map(c => h('th', {}, c)))), body),
    h('h2', { class: 'admin-only' }, 'Recruiters'),
    h('table', { id: 'recruiters', class: 'admin-only' }, h('thead', {}, h('tr', {}, ['Batch', 'Rank', 'Provider', 'Workers', 'Each worker', ''].map(c => h('th', {}, c)))), recruiterBody),
    h('h2', { class: 'admin-only' }, 'Jobs'),
    h('table', { id: 'jobs', class: 'admin-only' }, h('thead', {}, h('tr', {}, ['Action', 'Worker', 'Provider', 'Batch', 'Status', 'Created', 'Reason and log'].map(c => h('th', {}, c)))), jobBody));
  act(load);
  // Workers report on their heartbeat; their state is read again as often.
  const timer = setInterval(() => act(load), 3000);
  return () => clearInterval(timer);
}

// ---- routing and login ---------------------------------------------------------------------

let leave = null;
/** Who is logged in ({name, role, groups, batches}): buttons a role may not use are hidden (the server refuses them anyway). */
let me = null;

async function route() {
  if (leave) { leave(); leave = null; }
  if (!me) {
    // No session (or one that ended): the login form.
    try { me = await api('GET', '/api/session'); } catch { showLogin(); return; }
    document.body.dataset.role = me.role;
    $('#who').textContent = me.groups || me.batches ? `${me.name} (${me.role}: ${[...(me.groups ?? []), ...(me.batches ?? [])].join(', ')})` : `${me.name} (${me.role})`;
  }
  const [, view = 'tasks', id] = location.hash.split('/');
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === (view === 'task' ? 'tasks' : view));
  $('#login').hidden = true;
  $('#logout').hidden = false;
  const main = $('#main');
  main.hidden = false;
  if (view === 'task' && id) leave = taskPage(main, decodeURIComponent(id));
  else if (view === 'batches') leave = batchesPage(main);
  else if (view === 'workers') leave = workersPage(main);
  else leave = tasksPage(main);
}

function showLogin() {
  if (leave) { leave(); leave = null; }
  me = null;
  delete document.body.dataset.role;
  $('#who').textContent = '';
  $('#main').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#token').focus();
}

$('#login-form').addEventListener('submit', async e => {
  e.preventDefault();
  try {
    await api('POST', '/api/session', { token: $('#token').value.trim() });
    $('#token').value = '';
    $('#login-error').textContent = '';
    $('#toast').hidden = true;
    route();
  } catch (error) { $('#login-error').textContent = error.message; }
});
$('#logout').addEventListener('click', async () => { await api('DELETE', '/api/session'); showLogin(); });
window.addEventListener('hashchange', route);
route();
