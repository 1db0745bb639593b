// The dashboard's page, shipped in the package as text (no CDN, no build step: it works offline).
// Plain DOM code: the tree, top-N tables and a process panel, fed by server-sent events.

/** The HTML shell; `base` is the dashboard's path. */
export function dashboardHtml(base: string): string {
  const at = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GenServer dashboard</title>
<link rel="stylesheet" href="${at}/assets/dashboard.css">
</head>
<body data-base="${at}">
<header><h1>GenServer dashboard</h1><p id="connection" role="status" aria-live="polite">connecting…</p></header>
<main>
<section aria-labelledby="tree-title"><h2 id="tree-title">Supervision tree</h2><ul id="tree" class="tree"></ul></section>
<section aria-labelledby="top-title"><h2 id="top-title">Processes</h2>
<p><label for="sort">Top processes by </label><select id="sort"><option value="mailbox">mailbox length</option><option value="growth">mailbox growth</option><option value="rate">messages/s</option><option value="restarts">restarts</option><option value="oldestMs">age of oldest message</option></select> <span id="shown"></span></p>
<table id="processes"><thead><tr><th scope="col">name</th><th scope="col">type</th><th scope="col">status</th><th scope="col">mailbox</th><th scope="col">oldest</th><th scope="col">growth</th><th scope="col">msg/s</th><th scope="col">handler p50 / p99</th><th scope="col">restarts</th><th scope="col">uptime</th><th scope="col">node</th><th scope="col">last crash</th><th scope="col">agent</th></tr></thead><tbody></tbody></table>
</section>
<section id="detail" aria-labelledby="detail-title" hidden><h2 id="detail-title">Process</h2><div id="detail-body"></div></section>
</main>
<script src="${at}/assets/dashboard.js"></script>
</body>
</html>`;
}

export const DASHBOARD_CSS = `
:root { color-scheme: light; font-family: system-ui, sans-serif; color: #111; background: #fff; }
header { display: flex; gap: 1rem; align-items: baseline; border-bottom: 1px solid #ccc; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; }
main { display: grid; gap: 1rem; padding: 0 1rem 2rem; }
.tree, .tree ul { list-style: none; padding-left: 1.2rem; margin: 0.2rem 0; }
.status { display: inline-block; padding: 0 0.4rem; border-radius: 0.3rem; font-size: 0.85rem; border: 1px solid #444; }
.status-running { background: #d7f5dd; color: #0b3d17; } .status-restarting, .status-starting { background: #fff1c2; color: #4a3700; }
.status-stopped, .status-stopping, .status-failed { background: #fbd5d5; color: #5c0b0b; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; }
button { font: inherit; color: #0b3a75; background: none; border: 1px solid #0b3a75; border-radius: 0.3rem; padding: 0 0.4rem; cursor: pointer; }
button:focus-visible, select:focus-visible { outline: 3px solid #0b3a75; outline-offset: 2px; }
.crash { color: #5c0b0b; }
pre { background: #f4f4f4; color: #111; padding: 0.5rem; overflow: auto; max-height: 20rem; }
`;

export const DASHBOARD_JS = `
(() => {
  const base = document.body.dataset.base;
  const state = { snapshot: null, selected: null, sort: 'mailbox' };
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) node.append(child);
    return node;
  };
  const badge = (status) => el('span', { className: 'status status-' + status, textContent: status });
  const ms = (value) => value < 0.001 ? '< 1 µs' : value < 1 ? (value * 1000).toPrecision(3) + ' µs' : value.toPrecision(3) + ' ms';
  const uptime = (ms) => ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(0) + ' s' : (ms / 60000).toFixed(0) + ' min';

  function treeItem(node, figures) {
    const item = el('li');
    const label = el('button', { type: 'button', textContent: node.name, title: 'show ' + node.name });
    label.dataset.name = node.name;
    label.addEventListener('click', () => select(node.name));
    const kind = node.kind === 'process' ? (node.type || 'process') : node.kind + (node.strategy ? ' ' + node.strategy : '');
    item.append(label, ' ', el('span', { textContent: kind + ' ' }), badge(node.status));
    if (node.restarts) item.append(' restarts ' + node.restarts);
    if (node.intensity) item.append(' intensity ' + node.intensity.restarts + '/' + node.intensity.maxRestarts + ' in ' + node.intensity.withinMs + ' ms');
    // A process among those sent (all of them, up to top) shows its figures in the tree too.
    const p = figures.get(node.name);
    if (p) {
      item.append(' mailbox ' + p.mailbox + (p.oldestMs !== undefined ? ' (oldest ' + p.oldestMs + ' ms)' : '') + ', ' + p.rate + ' msg/s');
      if (p.handlerMs) item.append(', handler p50 ' + ms(p.handlerMs.p50) + ' p99 ' + ms(p.handlerMs.p99));
      if (p.lastError) item.append(el('span', { className: 'crash', textContent: ' last crash: ' + p.lastError }));
    }
    if (node.node) item.append(' on ' + node.node + (node.epoch !== undefined ? ' epoch ' + node.epoch : ''));
    const children = (node.children || []).map((child) => treeItem(child, figures));
    if (node.omitted) children.push(el('li', { className: 'omitted', textContent: '… and ' + node.omitted + ' more running processes (see the top views)' }));
    if (children.length) item.append(el('ul', {}, ...children));
    return item;
  }

  function render() {
    const s = state.snapshot;
    if (!s) return;
    const figures = new Map(s.processes.map((p) => [p.name, p]));
    document.getElementById('tree').replaceChildren(...(s.tree ? [treeItem(s.tree, figures)] : []));
    const key = state.sort;
    const rows = [...s.processes].sort((a, b) => (b[key] || 0) - (a[key] || 0) || (a.name < b.name ? -1 : 1)).slice(0, s.top);
    document.getElementById('shown').textContent = rows.length < s.total ? 'top ' + rows.length + ' of ' + s.total : s.total + ' processes';
    document.querySelector('#processes tbody').replaceChildren(...rows.map((p) => {
      const open = el('button', { type: 'button', textContent: p.name });
      open.dataset.name = p.name;
      open.addEventListener('click', () => select(p.name));
      const agent = p.agent ? 'queued ' + p.agent.queued + ', tools ' + p.agent.inFlightTools + ', tokens ' + (p.agent.tokens.input + p.agent.tokens.output) + ', $' + p.agent.cost.toFixed(4) : '';
      // A delta leaves out a process whose only change is its uptime: it is extrapolated here.
      const up = p.uptimeMs > 0 ? p.uptimeMs + (s.at - p.seenAt) : 0;
      const row = el('tr', {}, el('td', {}, open), el('td', { textContent: p.type }), el('td', {}, badge(p.status)), el('td', { textContent: p.mailbox }), el('td', { textContent: p.oldestMs !== undefined ? p.oldestMs + ' ms' : '' }), el('td', { textContent: p.growth }), el('td', { textContent: p.rate }), el('td', { textContent: p.handlerMs ? ms(p.handlerMs.p50) + ' / ' + ms(p.handlerMs.p99) : '' }), el('td', { textContent: p.restarts }), el('td', { textContent: uptime(up) }), el('td', { textContent: p.node ? p.node + (p.epoch !== undefined ? ' (epoch ' + p.epoch + ')' : '') : '' }), el('td', { textContent: p.lastError || '' }), el('td', { textContent: agent }));
      row.dataset.name = p.name;
      return row;
    }));
    if (state.selected) refreshDetail();
  }

  async function select(name) {
    state.selected = name;
    await refreshDetail();
    document.getElementById('detail-title').focus?.();
  }

  async function refreshDetail() {
    const name = state.selected;
    const response = await fetch(base + '/api/processes/' + encodeURIComponent(name));
    const section = document.getElementById('detail');
    section.hidden = false;
    const body = document.getElementById('detail-body');
    if (!response.ok) { body.replaceChildren(el('p', { textContent: name + ': ' + response.status })); return; }
    const data = await response.json();
    const { state: processState, traceIds, ...figures } = data.status;
    const parts = [el('h3', { textContent: name }), el('pre', { textContent: JSON.stringify(figures, null, 2) }), el('h4', { textContent: 'State' }), el('pre', { textContent: processState === undefined ? '(none)' : JSON.stringify(processState, null, 2) })];
    if (state.snapshot && state.snapshot.actions) {
      for (const action of ['restart', 'stop', 'cancel']) {
        const button = el('button', { type: 'button', textContent: action });
        button.dataset.action = action;
        button.addEventListener('click', async () => {
          const answer = await fetch(base + '/api/processes/' + encodeURIComponent(name) + '/' + action, { method: 'POST' });
          button.textContent = action + (answer.ok ? ' ✓' : ' (' + answer.status + ')');
        });
        parts.push(button, ' ');
      }
    }
    parts.push(el('h4', { textContent: 'Recent events' }), el('pre', { textContent: data.events.map((e) => new Date(e.at).toLocaleTimeString() + ' ' + e.type + (e.messageType ? ' ' + e.messageType : '') + (e.reason !== undefined ? ' ' + JSON.stringify(e.reason) : '')).join('\\n') || '(none while this page was open)' }));
    parts.push(el('h4', { textContent: 'Trace ids of recent handled messages' }), el('pre', { textContent: (traceIds || []).join('\\n') || '(none traced while this page was open)' }));
    body.replaceChildren(...parts);
  }

  document.getElementById('sort').addEventListener('change', (event) => { state.sort = event.target.value; render(); });
  const events = new EventSource(base + '/api/events');
  const connection = document.getElementById('connection');
  const updated = (at) => { connection.textContent = 'live, updated ' + new Date(at).toLocaleTimeString(); render(); };
  events.addEventListener('snapshot', (event) => {
    state.snapshot = JSON.parse(event.data);
    for (const p of state.snapshot.processes) p.seenAt = state.snapshot.at;
    updated(state.snapshot.at);
  });
  events.addEventListener('delta', (event) => {
    const delta = JSON.parse(event.data);
    const s = state.snapshot;
    if (!s) return;
    const byName = new Map(s.processes.map((p) => [p.name, p]));
    for (const name of delta.removed) byName.delete(name);
    for (const p of delta.changed) byName.set(p.name, Object.assign(p, { seenAt: delta.at }));
    s.processes = [...byName.values()];
    if ('tree' in delta) s.tree = delta.tree;
    s.total = delta.total;
    s.at = delta.at;
    updated(delta.at);
  });
  events.addEventListener('error', () => { connection.textContent = 'reconnecting…'; });
})();
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
