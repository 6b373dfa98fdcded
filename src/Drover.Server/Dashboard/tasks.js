// The task list (#/tasks?status=&batch=&group=&q=&sort=): filters, search, a JSON query, sortable
// columns, pages of 200 with a cursor (a page starts after the last row of the one before, by the
// sort key and then the id, so new tasks never shift the pages you are reading), rows that change
// live, and actions on many tasks at once.
'use strict';

const PAGE = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SORTABLE = { Status: 'status', Name: 'name', Batch: 'batch', Group: 'group', Submitted: 'submitted' };
const escapeRegex = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function tasksPage(main, query) {
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STATES.map(s => h('option', { value: s, selected: query.get('status') === s }, s)));
  const batch = h('input', { name: 'batch', placeholder: 'any', value: query.get('batch') ?? '' });
  const group = h('input', { name: 'group', placeholder: 'any', value: query.get('group') ?? '' });
  const search = h('input', { name: 'q', type: 'search', placeholder: 'a task id, or part of a name', value: query.get('q') ?? '' });
  const json = h('textarea', { name: 'filter', placeholder: '{"name": {"$regex": "^align"}}' });
  const problem = h('p', { class: 'error', id: 'filter-error', role: 'alert' });
  const range = h('span', { class: 'muted', id: 'range' });
  const selected = new Set();
  const selection = h('span', { class: 'muted', id: 'selection' });
  const body = h('tbody');
  const rows = new Map();
  let jsonFilter = null, sort = query.get('sort') || '-submitted', page = 0, total = 0;
  // cursors[p]: the filter that starts page p (null for the first).
  let cursors = [null];

  const simple = () => {
    const filter = {};
    if (status.value) filter.status = status.value;
    if (batch.value.trim()) filter.batch = batch.value.trim();
    if (group.value.trim()) filter.group = group.value.trim();
    const q = search.value.trim();
    if (UUID.test(q)) filter.id = q;
    else if (q) filter.name = { $regex: escapeRegex(q), $options: 'i' };
    return filter;
  };
  // The user's JSON first: its errors are named as they wrote them (see showProblem).
  const filter = () => jsonFilter ? (Object.keys(simple()).length ? { $and: [jsonFilter, simple()] } : jsonFilter) : simple();
  // The live rows are kept in place only where new ones belong on top: page 1, newest first, no JSON query.
  const liveAdds = () => page === 0 && sort === '-submitted' && !jsonFilter;
  const matches = task => Object.entries(simple()).every(([k, v]) => typeof v === 'object' ? new RegExp(v.$regex, 'i').test(task[k] ?? '') : task[k] === v);

  const check = task => h('input', {
    type: 'checkbox', class: 'pick write', 'aria-label': `select ${task.name || task.id}`, checked: selected.has(task.id),
    onchange: e => { if (e.target.checked) selected.add(task.id); else selected.delete(task.id); showSelection(); },
  });
  const row = task => h('tr', { 'data-id': task.id, 'data-status': task.status },
    h('td', { class: 'write' }, check(task)),
    h('td', {}, badge(task.status)),
    h('td', {}, h('a', { href: `#/task/${task.id}` }, task.name || shortId(task.id))),
    h('td', { class: 'command', title: definition(task) }, h('code', {}, definition(task))),
    h('td', {}, h('a', { href: link('tasks', { batch: task.batch }) }, task.batch)), h('td', {}, task.group ?? ''), h('td', {}, workerLink(task.worker_id)),
    h('td', {}, progressCell(task), task.status_message ? h('div', { class: 'muted' }, task.status_message) : null),
    h('td', {}, time(task.submitted)), tookCell(task));
  const showRange = () => {
    range.textContent = total === 0 ? '0 tasks' : `${num(page * PAGE + 1)}–${num(page * PAGE + rows.size)} of ${num(total)}`;
    previous.disabled = page === 0;
    next.disabled = (page + 1) * PAGE >= total;
  };
  const put = (task, atTop) => {
    const old = rows.get(task.id);
    const el = row(task);
    el.task = task; // the last row's values start the next page
    if (old) old.replaceWith(el);
    else if (atTop) { body.prepend(el); total++; }
    else body.append(el);
    rows.set(task.id, el);
    while (rows.size > PAGE) { const last = body.lastElementChild; rows.delete(last.dataset.id); last.remove(); }
    showRange();
  };
  const showSelection = () => {
    selection.textContent = selected.size ? `${selected.size} selected` : '';
    for (const button of bulk.querySelectorAll('button[data-needs-selection]')) button.disabled = selected.size === 0;
  };
  const showProblem = message => { problem.textContent = message.replace(/filter\.\$and\[0\]/g, 'filter'); };
  const order = () => [sort, sort.startsWith('-') ? '-id' : 'id'];
  // The rows after `row` in the current order: the sort key past its value, or equal with a later id
  // (absent values sort lowest: last when descending, first when ascending).
  const after = row => {
    const field = sort.replace(/^-/, ''), desc = sort.startsWith('-'), op = desc ? '$lt' : '$gt', v = row[field] ?? null;
    if (v === null) return desc ? { [field]: null, id: { [op]: row.id } } : { $or: [{ [field]: null, id: { [op]: row.id } }, { [field]: { $exists: true } }] };
    return { $or: [{ [field]: { [op]: v } }, { [field]: v, id: { [op]: row.id } }, ...(desc ? [{ [field]: null }] : [])] };
  };
  const load = async () => {
    const wanted = filter();
    const paged = cursors[page] ? { $and: [wanted, cursors[page]] } : wanted;
    let tasks;
    try {
      [tasks, { count: total }] = await Promise.all([
        api('POST', '/api/tasks/query', { filter: paged, sort: order(), limit: PAGE }),
        api('POST', '/api/tasks/query', { filter: wanted, count: true })]);
    } catch (e) {
      // A bad filter shows no rows at all (not the last good ones) and says why, here.
      if (e instanceof ApiError && !(e instanceof LoginNeeded)) { body.replaceChildren(); rows.clear(); total = 0; showRange(); showProblem(e.message); return; }
      throw e;
    }
    problem.textContent = '';
    body.replaceChildren();
    rows.clear();
    for (const task of tasks) put(task, false);
    showRange();
    if (!tasks.length) body.append(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No tasks match.')));
  };
  const apply = e => {
    e?.preventDefault();
    try {
      jsonFilter = json.value.trim() ? JSON.parse(json.value) : null;
    } catch (error) { body.replaceChildren(); rows.clear(); total = 0; showRange(); showProblem(`The filter is not valid JSON: ${error.message}`); return; }
    page = 0; cursors = [null];
    selected.clear(); showSelection();
    // The simple filters live in the address: a link or a reload shows the same list.
    history.replaceState(null, '', link('tasks', { status: status.value, batch: batch.value.trim(), group: group.value.trim(), q: search.value.trim(), sort: sort === '-submitted' ? '' : sort }));
    act(load);
  };
  const reload = debounce(() => act(load), 500);
  const previous = h('button', { class: 'quiet', type: 'button', onclick: () => { page--; act(load); } }, '← Previous');
  const next = h('button', { class: 'quiet', type: 'button', onclick: () => { cursors[page + 1] = after(body.lastElementChild.task); page++; act(load); } }, 'Next →');

  // Actions on the selected tasks, and on every failed task the filter selects.
  const ids = () => [...selected];
  const bulkAct = (label, action) => act(async () => {
    const message = await action();
    selected.clear(); showSelection();
    await load();
    toast(message);
  });
  const bulk = h('div', { class: 'actions write', id: 'bulk' },
    h('button', { type: 'button', 'data-needs-selection': '', disabled: true, onclick: () => bulkAct('Resubmit', async () => {
      const created = await api('POST', '/api/tasks/resubmit', { ids: ids() });
      return `Resubmitted ${created.length} task(s).`;
    }) }, 'Resubmit'),
    h('button', { type: 'button', class: 'danger', 'data-needs-selection': '', disabled: true, onclick: () => bulkAct('Cancel', async () => {
      const answers = await Promise.allSettled(ids().map(id => api('POST', `/api/tasks/${id}/cancel`)));
      return `Canceled ${answers.filter(a => a.status === 'fulfilled').length} of ${answers.length}.`;
    }) }, 'Cancel'),
    h('button', { type: 'button', class: 'danger', 'data-needs-selection': '', disabled: true, onclick: () => bulkAct('Delete', async () => {
      const outcome = await api('POST', '/api/tasks/purge', { filter: { id: { $in: ids() } } });
      return `Deleted ${outcome.deleted}${outcome.refused?.length ? `; ${outcome.refused.length} not ended, kept` : ''}.`;
    }) }, 'Delete'),
    h('button', { type: 'button', class: 'quiet', id: 'resubmit-failed', onclick: () => act(async () => {
      // Failed tasks not resubmitted yet, within the current filter.
      const failed = { $and: [filter(), { status: 'failed' }, { resubmitted: null }] };
      const { count: n } = await api('POST', '/api/tasks/query', { filter: failed, count: true });
      if (!n) { toast('No failed tasks to resubmit here.'); return; }
      if (!confirm(`Resubmit ${n} failed task(s)?`)) return;
      const created = await api('POST', '/api/tasks/resubmit', { filter: failed });
      await load();
      toast(`Resubmitted ${created.length} failed task(s).`);
    }) }, 'Resubmit all failed'),
    selection);

  const heading = name => {
    const field = SORTABLE[name];
    if (!field) return h('th', {}, name);
    const on = sort.replace('-', '') === field;
    return h('th', { class: `sortable${on ? ' sorted' : ''}`, 'data-sort': field, 'aria-sort': on ? (sort.startsWith('-') ? 'descending' : 'ascending') : null },
      h('button', { type: 'button', class: 'link', onclick: () => { sort = on && sort.startsWith('-') ? field : `-${field}`; apply(); redrawHead(); } },
        name, on ? (sort.startsWith('-') ? ' ▼' : ' ▲') : ''));
  };
  const all = h('input', { type: 'checkbox', 'aria-label': 'select every task on this page', onchange: e => {
    for (const id of rows.keys()) if (e.target.checked) selected.add(id); else selected.delete(id);
    for (const box of body.querySelectorAll('input.pick')) box.checked = e.target.checked;
    showSelection();
  } });
  const head = h('thead');
  const redrawHead = () => head.replaceChildren(h('tr', {}, h('th', { class: 'write' }, all),
    ['Status', 'Name', 'Command', 'Batch', 'Group', 'Worker', 'Progress', 'Submitted', 'Took'].map(heading)));
  redrawHead();

  main.replaceChildren(
    h('h1', {}, 'Tasks'),
    h('form', { class: 'filters', onsubmit: apply },
      h('label', {}, 'Search', search), h('label', {}, 'Status', status), h('label', {}, 'Batch', batch), h('label', {}, 'Group', group),
      h('label', {}, 'Query filter (JSON)', json), h('button', { type: 'submit' }, 'Apply')),
    problem, bulk,
    h('div', { class: 'pager' }, range, previous, next),
    scroller(h('table', { id: 'tasks' }, head, body)));
  status.addEventListener('change', apply);
  act(load);
  const stop = follow('all=true', message => {
    for (const task of message.add ?? []) {
      if (liveAdds() && matches(task)) { body.querySelector('.empty')?.parentElement.remove(); put(task, true); }
      else if (!liveAdds()) reload();
    }
    for (const task of message.update ?? []) {
      if (rows.has(task.id)) {
        if (jsonFilter || matches(task)) put(task); else { rows.get(task.id).remove(); rows.delete(task.id); total--; showRange(); }
      } else if (!jsonFilter && matches(task)) reload(); // came into the filter: its place is by sort order
    }
    if (message.resync) reload();
  }, reload);
  return stop;
}
