// app.js - pinetboot fleet dashboard: grid of Pis by boot stage, live
// updates over server-sent events (/api/events), per-Pi timeline chart
// (plain SVG), discovered Pis and server totals. Only textContent is used
// for server data, so names from client.conf cannot inject markup.
'use strict';
// Stage names and colours come from the server's one table
// (src/fleet/fleet_state.c) through /api/stats "stages".
let STAGES = [];
const COLORS = {};
const clients = new Map();
const tiles = new Map();
let selected = null, lastStats = null, timelineTimer = null;

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}
function svg(tag, attrs, text) {
	const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
	for (const k in attrs) e.setAttribute(k, attrs[k]);
	if (text !== undefined) e.textContent = text;
	return e;
}
async function getJSON(url) {
	const r = await fetch(url, { cache: 'no-store' });
	if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
	return r.json();
}
function ago(ms) {
	if (!ms) return '';
	const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
	if (s < 60) return s + ' s ago';
	if (s < 3600) return Math.floor(s / 60) + ' min ago';
	if (s < 86400) return Math.floor(s / 3600) + ' h ago';
	return Math.floor(s / 86400) + ' d ago';
}
function dur(ms) {
	return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
}

function renderTile(c) {
	let t = tiles.get(c.id);
	if (!t) {
		t = el('div', 'tile');
		t.dataset.id = c.id;
		t.append(el('div', 'n'), el('div', 'i'), el('div', 's'), el('div', 'a'), el('div', 'p'));
		t.addEventListener('click', () => select(c.id));
		tiles.set(c.id, t);
		const grid = document.getElementById('grid');
		const after = [...tiles.keys()].sort().find(k => k > c.id && tiles.get(k).parentNode);
		grid.insertBefore(t, after ? tiles.get(after) : null);
	}
	t.style.background = COLORS[c.stage] || '';
	t.className = 'tile stage-' + c.stage + (c.problem ? ' problem-' + c.problem : '') + (c.contested ? ' contested' : '') + (selected === c.id ? ' sel' : '');
	t.dataset.stage = c.stage;
	t.children[0].textContent = c.name || c.id;
	t.children[1].textContent = c.id + (c.model ? ' · ' + c.model : '') + (c.registered ? '' : ' · not registered');
	t.children[2].textContent = c.stage + (c.problem ? ' (' + c.problem + ')' : '') + (c.since ? ' · ' + ago(c.since) : '');
	t.children[3].textContent = c.address || '';
	t.children[4].textContent = c.contested ? 'contested: ' + c.contested : (c.reason || '');
	t.title = (c.contested ? 'contested ' + ago(c.contested_at) + ': ' + c.contested + '\n' : '') + (c.reason || c.last_problem || '');
}

function renderCounts() {
	const n = {};
	let problems = 0;
	for (const c of clients.values()) {
		n[c.stage] = (n[c.stage] || 0) + 1;
		if (c.problem) problems++;
	}
	const parts = STAGES.filter(s => n[s]).map(s => n[s] + ' ' + s);
	if (problems) parts.push(problems + ' with a problem');
	document.getElementById('counts').textContent = clients.size + ' Pis: ' + parts.join(', ');
}

async function loadClients() {
	const list = await getJSON('/api/clients');
	for (const c of list) {
		clients.set(c.id, c);
		renderTile(c);
	}
	renderCounts();
}

async function loadStats() {
	const s = await getJSON('/api/stats');
	if (s.stages && !STAGES.length) setStages(s.stages);
	const now = Date.now();
	let rate = '';
	if (lastStats) {
		const dt = (now - lastStats.t) / 1000;
		if (dt > 0) rate = ' (' + ((s.tftp.bytes_sent - lastStats.bytes) / 1e6 / dt).toFixed(1) + ' MB/s)';
	}
	lastStats = { t: now, bytes: s.tftp.bytes_sent };
	const box = document.getElementById('totals');
	box.textContent = '';
	const items = [
		['active transfers', s.tftp.active_transfers],
		['MB served', s.tftp.mb_sent.toFixed(1) + rate],
		['NFS ops/s', s.nfs_ops_per_s === null ? 'n/a' : s.nfs_ops_per_s],
		['boots', s.boots.started], ['failures', s.boots.failures], ['stalls', s.boots.stalls],
		['registered', s.registered],
	];
	for (const [k, v] of items) {
		const sp = el('span', '', k + ': ');
		sp.append(el('b', '', String(v)));
		box.append(sp);
	}
}

async function loadDiscovered() {
	const list = await getJSON('/api/discovered');
	const box = document.getElementById('discovered');
	box.textContent = list.length ? '' : 'none';
	for (const d of list) {
		box.append(el('div', '', d.id + ' · ' + d.model + ' · ' + d.mac + ' · last seen ' + ago(d.last_seen)));
		box.append(el('code', '', d.register_command));
	}
}

function drawTimeline(c) {
	const box = document.getElementById('timeline');
	box.textContent = '';
	const boots = c.timeline || [];
	if (!boots.length) {
		box.textContent = 'no boot recorded yet';
		return;
	}
	const W = 900, L = 150, R = 260, row = 26;
	let longest = 1;
	for (const b of boots) {
		const total = b.steps.reduce((a, s) => a + s.dur_ms, 0);
		longest = Math.max(longest, total);
	}
	const s = svg('svg', { width: W, height: boots.length * row + 30, role: 'img' });
	s.append(svg('text', { x: 0, y: 12 }, 'boot started'));
	s.append(svg('text', { x: L, y: 12 }, 'steps (bar length = time taken; longest boot ' + dur(longest) + ')'));
	boots.forEach((b, i) => {
		const y = 20 + i * row;
		s.append(svg('text', { x: 0, y: y + 15 }, new Date(b.start).toLocaleString()));
		let x = L;
		for (const st of b.steps) {
			const w = Math.max(2, (W - L - R) * st.dur_ms / longest);
			const r = svg('rect', { x: x, y: y + 2, width: w, height: row - 6, fill: COLORS[st.stage] || '#ccc', stroke: '#fff' });
			r.append(svg('title', {}, st.stage + ': ' + dur(st.dur_ms)));
			s.append(r);
			if (w > 50) s.append(svg('text', { x: x + 3, y: y + 15 }, st.stage + ' ' + dur(st.dur_ms)));
			x += w;
		}
		const label = b.stage + (b.problem ? ' (' + b.problem + '): ' + b.reason : '');
		s.append(svg('text', { x: x + 6, y: y + 15, fill: b.problem ? '#b00' : '#333' }, label));
	});
	box.append(s);
	const tb = document.querySelector('#events tbody');
	tb.textContent = '';
	for (const e of (c.events || []).slice(-30).reverse()) {
		const tr = el('tr');
		tr.append(el('td', '', new Date(e.t).toLocaleTimeString()), el('td', '', e.type), el('td', '', e.file),
			el('td', '', e.bytes ? (e.bytes / 1e6).toFixed(2) + ' MB in ' + dur(e.dur_ms) : ''), el('td', '', e.detail));
		tb.append(tr);
	}
}

async function select(id) {
	const prev = selected;
	selected = id;
	if (prev && clients.has(prev)) renderTile(clients.get(prev));
	if (clients.has(id)) renderTile(clients.get(id));
	const c = await getJSON('/api/client/' + encodeURIComponent(id));
	document.getElementById('detail').hidden = false;
	document.getElementById('detail-title').textContent = 'Timeline of ' + (c.name || c.id) + ' (' + c.id + ', last ' + c.timeline.length + ' boots)';
	drawTimeline(c);
}

function liveLine(e) {
	const ol = document.getElementById('live');
	const li = el('li', '', new Date(e.t).toLocaleTimeString() + '  ' + (e.id || '-') + '  ' + e.type + '  ' + (e.file || '') + (e.detail ? '  ' + e.detail : ''));
	ol.prepend(li);
	while (ol.children.length > 200) ol.lastChild.remove();
}

function connect() {
	const es = new EventSource('/api/events');
	const conn = document.getElementById('conn');
	es.onopen = () => { conn.textContent = 'live'; };
	es.onerror = () => { conn.textContent = 'reconnecting…'; };
	es.addEventListener('boot', ev => {
		const e = JSON.parse(ev.data);
		if (e.client) {
			clients.set(e.client.id, e.client);
			renderTile(e.client);
			renderCounts();
		}
		liveLine(e);
		if (selected && e.id === selected && !timelineTimer)
			timelineTimer = setTimeout(() => { timelineTimer = null; select(selected); }, 500);
	});
}

function setStages(list) {
	STAGES = list.map(s => s.name);
	for (const s of list) COLORS[s.name] = s.color;
	legend(list);
	for (const c of clients.values()) renderTile(c);
	renderCounts();
}

function legend(list) {
	const box = document.getElementById('legend');
	for (const s of list) {
		const sp = el('span', 'stage-' + s.name, s.name);
		sp.style.background = s.color;
		sp.title = s.help;
		box.append(sp);
	}
	box.append(el('span', 'problem-stalled', 'stalled'), el('span', 'problem-failed', 'failed'));
}

function report(err) {
	document.getElementById('conn').textContent = String(err);
}

// "?snapshot" loads everything once and opens no event stream: a page
// whose stream never ends would keep a headless browser's virtual clock
// (--virtual-time-budget) from advancing, so screenshots use it.
const snapshot = new URLSearchParams(location.search).has('snapshot');
const preselect = new URLSearchParams(location.search).get('select');
loadClients().then(() => {
	if (preselect) select(preselect).catch(report);
	if (snapshot) document.getElementById('conn').textContent = 'snapshot';
	else connect();
}).catch(report);
loadStats().catch(report);
loadDiscovered().catch(report);
setInterval(() => loadStats().catch(report), 2000);
setInterval(() => { loadClients().catch(report); loadDiscovered().catch(report); }, 10000);
setInterval(() => { for (const c of clients.values()) renderTile(c); }, 5000);
