// Routing and login; loaded last. Pages: #/overview (the landing page), #/tasks?…, #/task/ID,
// #/submit, #/batches, #/workers, #/worker/ID. Each page function draws into <main> and returns
// what stops its updates when the user leaves it.
'use strict';

let leave = null;
/** Who is logged in ({name, role, groups, batches}): buttons a role may not use are hidden (the server refuses them anyway). */
let me = null;
// Counts navigations: a route that awaited while a newer one began leaves the page to that one.
let routing = 0;

async function route() {
  const mine = ++routing;
  if (leave) { leave(); leave = null; }
  // A message belongs to the page it was about.
  $('#toast').hidden = true;
  if (!me) {
    // No session (or one that ended): the login form.
    try { me = await api('GET', '/api/session'); } catch { showLogin(); return; }
    document.body.dataset.role = me.role;
    $('#who').textContent = me.groups || me.batches ? `${me.name} (${me.role}: ${[...(me.groups ?? []), ...(me.batches ?? [])].join(', ')})` : `${me.name} (${me.role})`;
  }
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [view = 'overview', id] = path.split('/');
  const query = new URLSearchParams(search);
  const section = { task: 'tasks', worker: 'workers' }[view] ?? (view || 'overview');
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === section);
  $('#login').hidden = true;
  $('#logout').hidden = false;
  const main = $('#main');
  main.hidden = false;
  // Names for the worker columns from the first draw.
  await loadWorkers().catch(() => {});
  // (The login's route and a link followed at once: the first to finish its reads must not draw
  // the older page over the newer one.)
  if (mine !== routing) return;
  if (view === 'task' && id) leave = taskPage(main, decodeURIComponent(id));
  else if (view === 'worker' && id) leave = workerPage(main, decodeURIComponent(id));
  else if (view === 'tasks') leave = tasksPage(main, query);
  else if (view === 'submit') leave = submitPage(main);
  else if (view === 'batches') leave = batchesPage(main);
  else if (view === 'workers') leave = workersPage(main, query);
  else leave = overviewPage(main);
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

// Running tasks' run times tick, wherever they show.
setInterval(() => {
  for (const cell of document.querySelectorAll('td.took[data-started]')) cell.textContent = duration({ started: cell.dataset.started });
}, 1000);

$('#login-form').addEventListener('submit', async e => {
  e.preventDefault();
  try {
    await api('POST', '/api/session', { token: $('#token').value.trim() });
    $('#token').value = '';
    $('#login-error').textContent = '';
    route();
  } catch (error) { $('#login-error').textContent = error.message; }
});
$('#logout').addEventListener('click', async () => { await api('DELETE', '/api/session'); showLogin(); });
window.addEventListener('hashchange', route);
route();
