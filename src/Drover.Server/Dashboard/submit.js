// The submit form (#/submit): a shell command or a .NET handler with its arguments, and the usual
// settings. The server checks it; its answer (naming the field at fault) shows under the form.
'use strict';

function submitPage(main) {
  const kind = h('select', { name: 'kind' }, h('option', { value: 'shell' }, 'Shell command'), h('option', { value: 'handler' }, '.NET handler'));
  const command = h('textarea', { name: 'command', placeholder: 'echo hello; sleep 1' });
  const handler = h('input', { name: 'handler', placeholder: 'Namespace.Type' });
  const args = h('textarea', { name: 'args', placeholder: '{"n": 3}' });
  const field = (name, placeholder, type = 'text') => h('input', { name, placeholder, type });
  const name = field('name', 'optional'), batch = field('batch', 'default'), group = field('group', 'optional');
  const priority = field('priority', '0', 'number'), retry = field('retry', '0', 'number'), timeout = field('timeout', 'e.g. 10m');
  const problem = h('p', { class: 'error', id: 'submit-error', role: 'alert' });
  const shellPart = h('label', { class: 'wide' }, 'Command (run by the worker\'s shell)', command);
  const handlerPart = h('div', { class: 'form-row' }, h('label', {}, 'Handler', handler), h('label', { class: 'wide' }, 'Arguments (JSON)', args));
  const show = () => { shellPart.hidden = kind.value !== 'shell'; handlerPart.hidden = kind.value !== 'handler'; };
  kind.addEventListener('change', show);
  show();

  const spec = () => {
    const s = {};
    if (kind.value === 'shell') { s.command = command.value; s.shell = true; }
    else {
      s.handler = handler.value.trim();
      if (args.value.trim()) {
        try { s.args = JSON.parse(args.value); } catch (e) { throw new ApiError(`args: not valid JSON (${e.message})`); }
      }
    }
    for (const [key, input] of [['name', name], ['batch', batch], ['group', group], ['timeout', timeout]]) if (input.value.trim()) s[key] = input.value.trim();
    for (const [key, input] of [['priority', priority], ['retry', retry]]) if (input.value !== '') s[key] = Number(input.value);
    return s;
  };
  const submit = async e => {
    e.preventDefault();
    problem.textContent = '';
    try {
      const created = await api('POST', '/api/tasks', spec());
      toast(`Submitted ${created.name || shortId(created.id)}.`);
      location.hash = `#/task/${created.id}`;
    } catch (error) { if (!(error instanceof LoginNeeded)) problem.textContent = error.message; }
  };
  main.replaceChildren(h('h1', {}, 'Submit a task'),
    h('form', { class: 'submit-form', id: 'submit-form', onsubmit: submit },
      h('label', {}, 'Runs', kind), shellPart, handlerPart,
      h('div', { class: 'form-row' }, h('label', {}, 'Name', name), h('label', {}, 'Batch', batch), h('label', {}, 'Group', group)),
      h('div', { class: 'form-row' }, h('label', {}, 'Priority', priority), h('label', {}, 'Retries', retry), h('label', {}, 'Timeout', timeout)),
      h('div', {}, h('button', { type: 'submit' }, 'Submit')), problem));
  command.focus();
  return null;
}
