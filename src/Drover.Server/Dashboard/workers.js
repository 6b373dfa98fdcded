// Workers (#/workers), one worker (#/worker/ID), and the recruiters and jobs that start and give back workers.
'use strict';

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
function workersPage(main, query) {
  const body = h('tbody');
  const recruiterBody = h('tbody');
  const jobBody = h('tbody');
  const showAll = query.get('all') === 'true';
  const load = async () => {
    // Recruiters and jobs are an admin's; other tokens see the workers only.
    if (me.role === 'admin') await loadRecruitment(recruiterBody, jobBody);
    // Workers stopped or lost more than 10 minutes ago are left out unless asked for (as drover workers --all; the server purges them after --keep-workers).
    const every = await api('GET', '/api/workers');
    const list = showAll ? every : every.filter(w => !gone(w));
    hidden.textContent = showAll ? 'Hide workers gone for 10 minutes' : every.length > list.length ? `Show ${every.length - list.length} worker(s) gone for 10 minutes` : '';
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
      return h('tr', { 'data-worker': w.id },
        h('td', {}, h('a', { href: `#/worker/${w.id}` }, w.name), h('div', { class: 'muted' }, whereabouts(w))),
        h('td', {}, badge(w.status)),
        h('td', { class: 'num' }, w.running),
        h('td', {}, concurrency), h('td', {}, prefetch), h('td', {}, h('button', { class: 'quiet admin-only', onclick: save }, 'Save')),
        h('td', {}, loadText(w.stats)), h('td', {}, memoryText(w.stats)),
        h('td', {}, w.batch ?? 'all'), h('td', {}, time(w.last_seen)));
    }));
    if (!list.length) body.append(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No workers. Start one with: drover worker')));
  };
  const hidden = h('a', { href: showAll ? '#/workers' : link('workers', { all: 'true' }), id: 'all-workers' });
  main.replaceChildren(h('h1', {}, 'Workers'),
    scroller(h('table', { id: 'workers' }, headers(['Worker', 'State', 'Running', 'Concurrency', 'Prefetch', '', 'Load', 'Memory', 'Batch', 'Last seen']), body)),
    h('p', {}, hidden),
    h('h2', { class: 'admin-only' }, 'Recruiters'),
    scroller(h('table', { id: 'recruiters', class: 'admin-only' }, headers(['Batch', 'Rank', 'Provider', 'Workers', 'Each worker', '']), recruiterBody)),
    h('h2', { class: 'admin-only' }, 'Jobs'),
    scroller(h('table', { id: 'jobs', class: 'admin-only' }, headers(['Action', 'Worker', 'Provider', 'Batch', 'Status', 'Created', 'Reason and log']), jobBody)));
  // Workers report on their heartbeat; their state is read again as often.
  return poll(load, 3000);
}

const gone = w => ['stopped', 'lost'].includes(w.status) && Date.now() - Date.parse(w.last_seen) > 600000;
const whereabouts = w => `${w.hostname ?? ''} ${w.pid ? `pid ${w.pid}` : ''}${w.provider ? ` · ${w.provider}/${w.flavor}` : ''}`;
const loadText = s => s?.load1 != null ? `${s.load1.toFixed(2)} / ${s.cpus} CPUs` : '';
const memoryText = s => s?.memory_total_bytes ? `${bytes(s.memory_used_bytes)} of ${bytes(s.memory_total_bytes)}` : '';

/**
 * One worker (#/worker/ID): what it is, its machine's load and memory over time (sampled from its
 * heartbeats while the page is open), its tasks, and pause, resume and drain.
 */
function workerPage(main, id) {
  const header = h('div');
  const facts = h('dl', { class: 'grid' });
  const loadChart = h('div', { id: 'load-chart' }), memoryChart = h('div', { id: 'memory-chart' });
  const tasks = h('tbody');
  const samples = [];
  const change = (body, done) => act(async () => { await api(body ? 'PATCH' : 'DELETE', `/api/workers/${id}`, body ?? undefined); await load(); }, done);
  const load = async () => {
    const [w, list] = await Promise.all([
      api('GET', `/api/workers/${id}`),
      api('POST', '/api/tasks/query', { filter: { worker_id: id }, sort: ['-assigned'], limit: 50 })]);
    workers.set(w.id, w);
    const s = w.stats;
    if (s?.at && samples.at(-1)?.at !== s.at) samples.push({ at: s.at, t: Date.parse(s.at), load: s.load1, cpus: s.cpus, memory: s.memory_total_bytes ? s.memory_used_bytes / s.memory_total_bytes : null });
    while (samples.length > 1200) samples.shift();
    const connected = ['running', 'paused', 'draining'].includes(w.status);
    header.replaceChildren(h('h1', {}, w.name, ' ', badge(w.status)), h('div', { class: 'mono muted' }, w.id),
      h('div', { class: 'actions admin-only' },
        h('button', { onclick: () => change({ paused: true }, `Paused ${w.name}.`), disabled: w.status !== 'running' }, 'Pause'),
        h('button', { onclick: () => change({ paused: false }, `Resumed ${w.name}.`), disabled: w.status !== 'paused' }, 'Resume'),
        h('button', { class: 'danger', disabled: !connected || w.status === 'draining', onclick: () => { if (confirm(`Drain ${w.name}? It takes no new tasks, finishes what it runs, then exits.`)) change(null, `Draining ${w.name}.`); } }, 'Drain')));
    const fact = (name, value) => value === undefined || value === null || value === '' ? [] : [h('dt', {}, name), h('dd', {}, value)];
    facts.replaceChildren(...fact('Machine', whereabouts(w)), ...fact('Serves', w.batch ? `batch ${w.batch}` : 'every batch'),
      ...fact('Handlers', w.handlers?.join(', ')), ...fact('Running', `${w.running} of ${w.concurrency} slots`),
      ...fact('Prefetch', w.prefetch_auto ? `auto (${w.prefetch} now)` : w.prefetch),
      ...fact('Load', loadText(s)), ...fact('Memory', memoryText(s)), ...fact('Disk free', s?.disk_free_bytes != null ? bytes(s.disk_free_bytes) : null),
      ...fact('Registered', time(w.registered)), ...fact('Last seen', time(w.last_seen)));
    const now = Date.now();
    const from = Math.min(samples[0]?.t ?? now, now - 60000);
    loadChart.replaceChildren(lineChart(samples.map(p => [p.t, p.load]), { from, to: now, max: Math.max(samples.at(-1)?.cpus ?? 1, ...samples.map(p => p.load ?? 0)) }));
    memoryChart.replaceChildren(lineChart(samples.map(p => [p.t, p.memory == null ? null : p.memory * 100]), { from, to: now, max: 100, unit: '%' }));
    tasks.replaceChildren(...list.map(t => h('tr', { 'data-id': t.id },
      h('td', {}, badge(t.status)), h('td', {}, h('a', { href: `#/task/${t.id}` }, t.name || shortId(t.id))),
      h('td', { class: 'command' }, h('code', {}, definition(t))), h('td', {}, time(t.started)), tookCell(t))));
    if (!list.length) tasks.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No tasks yet.')));
  };
  main.replaceChildren(header, facts,
    h('div', { class: 'cards' },
      h('section', { class: 'card' }, h('h2', {}, 'Load (1 min), since this page opened'), loadChart),
      h('section', { class: 'card' }, h('h2', {}, 'Memory used, since this page opened'), memoryChart)),
    h('h2', {}, 'Its latest tasks'),
    scroller(h('table', { id: 'worker-tasks' }, headers(['Status', 'Name', 'Command', 'Started', 'Took']), tasks)));
  return poll(load, 3000);
}
