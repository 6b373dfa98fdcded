// The Overview page (the landing page): tasks per state now, tasks ended per second and failures
// over the last hour, queue depth per batch, run times, workers busy and idle. One read of
// /api/overview for the hour, then every few seconds only from the last, unfinished step.
'use strict';

const OVERVIEW_EVERY = 3000;
const RUN_TIME_LABELS = ['< 0.1 s', '0.1–1 s', '1–10 s', '10 s–1 m', '1–10 m', '10 m–1 h', '> 1 h'];

function overviewPage(main) {
  const steps = new Map(); // step start (ms) → {succeeded, failed, canceled, durations}
  let last = null, stepMs = 10000;
  const tiles = h('div', { class: 'tiles', id: 'states' });
  const rate = h('span', { class: 'muted', id: 'rate' });
  const ended = h('div', { id: 'ended-chart' });
  const failures = h('div', { id: 'failures-chart' });
  const runTimes = h('div', { id: 'runtime-chart' });
  const queue = h('tbody');
  const people = h('div', { id: 'worker-summary' });
  const note = h('p', { class: 'muted', id: 'counted-from' });

  const card = (title, ...body) => h('section', { class: 'card' }, h('h2', {}, title), ...body);
  const draw = o => {
    tiles.replaceChildren(...STATES.map(state => h('a', { class: `tile ${state}`, href: link('tasks', { status: state }), 'data-state': state },
      h('span', { class: 'tile-count' }, num(o.counts[state] ?? 0)), h('span', { class: 'tile-label' }, state))));

    const now = Date.parse(o.now), to = Math.floor(now / stepMs) * stepMs + stepMs, from = to - 3600000;
    for (const key of steps.keys()) if (key < from) steps.delete(key);
    const perSecond = v => v / (stepMs / 1000);
    ended.replaceChildren(timeBars({
      from, to, step: stepMs, values: start => steps.get(start), scale: perSecond, unit: '/s',
      series: [{ key: 'succeeded', label: 'succeeded', cls: 'ok' }, { key: 'failed', label: 'failed', cls: 'bad' }, { key: 'canceled', label: 'canceled', cls: 'idle' }],
    }));
    failures.replaceChildren(timeBars({
      from, to, step: stepMs, values: start => steps.get(start),
      series: [{ key: 'failed', label: 'failed', cls: 'bad' }, { key: 'canceled', label: 'canceled', cls: 'idle' }],
    }));
    // The rate over the last minute: the current step so far and the five before it.
    const current = to - stepMs, since = current - 5 * stepMs;
    let lastMinute = 0;
    for (let start = since; start <= current; start += stepMs) {
      const v = steps.get(start);
      if (v) lastMinute += v.succeeded + v.failed + v.canceled;
    }
    lastMinute = lastMinute * 60000 / Math.max(stepMs, now - since);
    rate.textContent = `${short(lastMinute / 60)} tasks/s over the last minute`;
    const bins = RUN_TIME_LABELS.map(() => 0);
    for (const v of steps.values()) v.durations.forEach((n, i) => { bins[i] += n; });
    runTimes.replaceChildren(histogram(bins.map((value, i) => ({ label: RUN_TIME_LABELS[i], value, cls: 'run' }))));
    note.textContent = o.counted_from
      ? `More tasks ended this hour than one read counts: the charts start at ${time(o.counted_from)}.` : '';

    const busiest = o.batches.filter(b => b.waiting + b.running > 0).sort((a, b) => (b.waiting + b.running) - (a.waiting + a.running)).slice(0, 12);
    const most = Math.max(1, ...busiest.map(b => b.waiting + b.running));
    queue.replaceChildren(...busiest.map(b => h('tr', { 'data-batch': b.name },
      h('td', {}, h('a', { href: link('tasks', { batch: b.name }) }, b.name), b.paused ? [' ', badge('paused')] : null),
      h('td', { class: 'wide' }, bar([['run', b.running / most], ['wait', b.waiting / most]], `${b.running} running, ${b.waiting} waiting`)),
      h('td', { class: 'num' }, num(b.running)), h('td', { class: 'num' }, num(b.waiting)))));
    if (!busiest.length) queue.append(h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'Nothing waits: every batch is done or empty.')));

    const w = o.workers;
    people.replaceChildren(
      h('div', { class: 'tiles' }, [['busy', w.busy, 'running'], ['idle', w.idle, 'queued'], ['paused', w.paused, 'paused'], ['draining', w.draining, 'paused']]
        .map(([label, n, cls]) => h('a', { class: `tile ${cls}`, href: '#/workers', 'data-workers': label }, h('span', { class: 'tile-count' }, n), h('span', { class: 'tile-label' }, label)))),
      h('p', {}, `${w.slots_used} of ${w.slots} task slots in use`), bar([['run', w.slots ? w.slots_used / w.slots : 0]], 'slots in use'));
  };

  const load = async () => {
    const o = await api('GET', `/api/overview${last ? `?since=${encodeURIComponent(new Date(last).toISOString())}` : ''}`);
    stepMs = o.step_seconds * 1000;
    // The answer covers whole steps from `from`: those replace what was kept.
    const from = Date.parse(o.from);
    for (const key of steps.keys()) if (key >= from) steps.delete(key);
    for (const step of o.ended) steps.set(Date.parse(step.start), step);
    last = Math.floor(Date.parse(o.now) / stepMs) * stepMs;
    draw(o);
  };

  main.replaceChildren(h('h1', {}, 'Overview'), tiles, note,
    h('div', { class: 'cards' },
      card('Tasks ended per second, last hour', rate, ended, h('div', { class: 'legend' }, h('span', { class: 'ok' }, 'succeeded'), h('span', { class: 'bad' }, 'failed'), h('span', { class: 'idle' }, 'canceled'))),
      card('Failures per 10 s, last hour', failures),
      card('Queue by batch', scroller(h('table', { id: 'queue' }, headers(['Batch', 'In hand and waiting', 'Running', 'Waiting']), queue))),
      card('Run time of tasks ended this hour', runTimes),
      card('Workers', people)));
  return poll(load, OVERVIEW_EVERY);
}
