// Batches (#/batches): progress and counts, live; each batch's tasks one click away; pause, resume, cancel.
'use strict';

function batchesPage(main) {
  const body = h('tbody');
  const load = async () => {
    const batches = await api('GET', '/api/batches');
    body.replaceChildren(...batches.map(b => {
      const c = b.counts, total = Object.values(c).reduce((a, n) => a + n, 0) || 1;
      const ok = c.succeeded ?? 0, failed = c.failed ?? 0, canceled = c.canceled ?? 0, running = (c.running ?? 0) + (c.assigned ?? 0) + (c.paused ?? 0);
      const waiting = (c.queued ?? 0) + (c.pending ?? 0);
      const action = (verb, label, cls) => h('button', { class: cls, onclick: () => act(async () => { await api('POST', `/api/batches/${encodeURIComponent(b.name)}/${verb}`); await load(); }, `${label}: ${b.name}`) }, label);
      // Each count links to the batch's tasks in that state.
      const cell = (n, status) => h('td', { class: 'num' }, n ? h('a', { href: link('tasks', { batch: b.name, status }) }, num(n)) : '0');
      return h('tr', { 'data-batch': b.name },
        h('td', {}, h('a', { href: link('tasks', { batch: b.name }) }, b.name), b.paused ? [' ', badge('paused')] : null),
        h('td', { class: 'wide' }, bar([['ok', ok / total], ['bad', failed / total], ['idle', canceled / total], ['run', running / total]], `${Math.round((ok + failed + canceled) / total * 100)}% ended`)),
        cell(ok, 'succeeded'), cell(failed, 'failed'), cell(canceled, 'canceled'), h('td', { class: 'num' }, num(running)), h('td', { class: 'num' }, num(waiting)),
        h('td', { class: 'num' }, num(b.total)),
        // The buttons sit in a div: a table cell made a flex box leaves the row's grid.
        h('td', { class: 'write' }, h('div', { class: 'actions tight' }, b.paused ? action('resume', 'Resume') : action('pause', 'Pause'), action('cancel', 'Cancel', 'danger'))));
    }));
    if (!batches.length) body.append(h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No batches yet.')));
  };
  main.replaceChildren(h('h1', {}, 'Batches'),
    scroller(h('table', { id: 'batches' }, headers(['Batch', 'Progress', 'Succeeded', 'Failed', 'Canceled', 'Running', 'Waiting', 'Total', h('th', { class: 'write' }, '')]), body)));
  act(load);
  const reload = debounce(() => act(load), 500);
  return follow('all=true', reload, reload);
}
