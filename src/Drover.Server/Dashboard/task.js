// One task (#/task/ID): its definition, executions, live output, status and the buttons that act on it.
'use strict';

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
      ...fact('Batch', h('a', { href: link('tasks', { batch: task.batch }) }, task.batch)), ...fact('Group', task.group), ...fact('Priority', task.priority),
      ...fact('Retry', task.retry), ...fact('Timeout', task.timeout),
      ...fact('Requires', task.requires?.length ? task.requires.map(r => [h('a', { href: `#/task/${r}` }, shortId(r)), ' ']) : null),
      ...fact('Worker', workerLink(task.worker_id)), ...fact('Attempts', task.attempts),
      ...fact('Submitted', time(task.submitted)), ...fact('Started', time(task.started)), ...fact('Completed', time(task.completed)),
      ...fact('Took', duration(task)), ...fact('Exit code', task.exit_code), ...fact('Reason', task.reason), ...fact('Error', task.error),
      ...fact('Result', task.result !== undefined && task.result !== null ? h('code', {}, JSON.stringify(task.result)) : null),
      ...fact('Resubmitted as', task.resubmitted ? h('a', { href: `#/task/${task.resubmitted}` }, shortId(task.resubmitted)) : null),
      ...fact('Resubmitted from', task.resubmitted_from ? h('a', { href: `#/task/${task.resubmitted_from}` }, shortId(task.resubmitted_from)) : null));
  };
  const loadExecutions = async () => {
    const list = await api('GET', `/api/tasks/${id}/executions`);
    executions.replaceChildren(...list.map(x => h('tr', {},
      h('td', { class: 'num' }, x.attempt), h('td', {}, badge(x.status)), h('td', {}, workerLink(x.worker_id)),
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
    scroller(h('table', {}, headers(['#', 'Status', 'Worker', 'Started', 'Completed', 'Exit', 'Reason']), executions)));
  const reload = serial(load);
  act(reload);
  return follow(`task=${encodeURIComponent(id)}`, message => {
    // Before the first read, or while one is under way, a change may be missing from what it shows:
    // read (again) rather than apply the change to a page the read's answer will replace.
    if (!task || reload.busy()) { act(reload); return; }
    if (message.output && message.output.task === id) {
      const o = message.output;
      if (o.execution !== execution) { // a new attempt: its output starts afresh
        execution = o.execution; shown.stdout = shown.stderr = 0; stdout.textContent = ''; stderr.textContent = '';
      }
      append(stdout, fresh('stdout', o.stdout, o.stdout_bytes));
      append(stderr, fresh('stderr', o.stderr, o.stderr_bytes));
    }
    for (const changed of [...(message.add ?? []), ...(message.update ?? [])]) {
      if (changed.id !== id) continue;
      const statusChanged = changed.status !== task.status;
      task = { ...task, ...changed, stdout: task.stdout, stderr: task.stderr, args: task.args, result: changed.result ?? task.result };
      render();
      if (statusChanged) act(ENDED.has(task.status) ? reload : loadExecutions);
    }
    if (message.resync) act(reload);
  }, () => act(reload));
}

