// dashboard: computers by status, updates needed by classification and
// severity, the last sync with "Synchronize now", failed installs of the
// last 24 hours and the downstream servers (GET /v1/admin/console/dashboard).
import * as api from './api.js';
import { h, fill, donut, bars, fmtTime, ago, badge, table, link, COLORS, toast } from './ui.js';

const SEV = { critical: '#b42318', important: '#d1453b', moderate: '#e0a526', low: '#3b7dd8', unspecified: '#98a2b3' };
const CLS = ['#1f5fae', '#3b7dd8', '#6aa3e8', '#7d5fc9', '#2e9d5b', '#e0a526', '#98a2b3'];

function syncCard(d, rerender) {
	const last = d.last_sync;
	const status = h('div', { class: 'sync-status' });
	const progress = h('div', { class: 'progress', hidden: true, role: 'progressbar', 'aria-label': 'Synchronizing' }, h('span'));
	const btn = api.isAdmin() ? h('button', { type: 'button', class: 'primary', id: 'sync-now', onclick: () => start() }, 'Synchronize now') : null;

	function show(s) {
		status.replaceChildren(s
			? h('dl', { class: 'kv' },
				h('dt', null, 'Last sync'), h('dd', null, fmtTime(s.started), ' ', h('span', { class: 'muted' }, `(${ago(s.started)})`)),
				h('dt', null, 'Result'), h('dd', null, badge(s.result), s.error ? h('div', { class: 'error small' }, s.error) : null),
				h('dt', null, 'New / revised / expired'), h('dd', { class: 'sync-counts' }, `${s.new} / ${s.revised} / ${s.expired}`),
				h('dt', null, 'Index version'), h('dd', null, s.index_version ?? '—'))
			: h('p', { class: 'muted' }, 'This server has not synchronized yet.'));
	}
	async function poll(t0) {
		const { history } = await api.get('/v1/admin/sync/history');
		const s = history[0];
		const secs = Math.round((Date.now() - t0) / 1000);
		if (s && s.result === 'running') {
			progress.hidden = false;
			if (btn) { btn.disabled = true; btn.textContent = `Synchronizing… ${secs}s`; }
			setTimeout(() => poll(t0), 700);
			return;
		}
		progress.hidden = true;
		if (btn) { btn.disabled = false; btn.textContent = 'Synchronize now'; }
		show(s);
		if (s && s.started !== (last && last.started)) {
			toast(`Synchronization ${s.result}: ${s.new} new, ${s.revised} revised, ${s.expired} expired`, s.result === 'success' ? 'good' : 'bad');
			rerender();
		}
	}
	async function start() {
		btn.disabled = true;
		await api.post('/v1/admin/sync');
		progress.hidden = false;
		setTimeout(() => poll(Date.now()), 300);
	}
	show(last);
	if (last && last.result === 'running') setTimeout(() => poll(Date.now()), 300);
	return h('section', { class: 'card', id: 'card-sync' }, h('h2', null, 'Synchronization'), status, progress, h('div', { class: 'actions' }, btn, link('#/sync', 'History and settings')));
}

export async function render(main) {
	const d = await api.get('/v1/admin/console/dashboard');
	const c = d.computers, u = d.updates;
	const cq = (st) => `#/computers?status=${st}`;
	const compParts = [
		{ label: 'Up to date', value: c.up_to_date, color: COLORS.up_to_date, href: cq('up_to_date') },
		{ label: 'Needing updates', value: c.needed, color: COLORS.needed, href: cq('needed') },
		{ label: 'With failures', value: c.failed, color: COLORS.failed, href: cq('failed') },
		{ label: 'Not yet reported', value: c.no_status, color: COLORS.no_status, href: cq('no_status') },
	];
	const byCls = Object.entries(u.needed_by_classification).sort((a, b) => b[1] - a[1])
		.map(([k, v], i) => ({ label: k, value: v, color: CLS[i % CLS.length], href: `#/updates?classification=${encodeURIComponent(k)}&status=needed` }));
	const bySev = Object.entries(u.needed_by_severity).sort((a, b) => b[1] - a[1])
		.map(([k, v]) => ({ label: k, value: v, color: SEV[k] || '#98a2b3', href: `#/updates?severity=${encodeURIComponent(k)}&status=needed` }));
	const rerender = () => render(main);

	fill(main,
		h('div', { class: 'page-head' }, h('h1', null, 'Dashboard'), h('span', { class: 'muted' }, `${u.total} updates, ${c.total} computers`)),
		h('div', { class: 'tiles' },
			tile('Computers', c.total, '#/computers'),
			tile('Needing updates', c.needed, cq('needed'), 'warn'),
			tile('With failures', c.failed, cq('failed'), 'bad'),
			tile(`Not reported for ${c.stale_days} days`, c.stale, cq('stale'), 'stale'),
			tile('Updates needed', u.needed, '#/updates?status=needed', 'warn'),
			tile('Updates approved', u.approved, '#/updates?approval=approved')),
		h('div', { class: 'cards' },
			h('section', { class: 'card', id: 'card-computers' }, h('h2', null, 'Computers by status'), donut(compParts, c.total)),
			h('section', { class: 'card', id: 'card-needed' }, h('h2', null, 'Updates needed'),
				h('h3', null, 'By classification'), bars(byCls), h('h3', null, 'By severity'), bars(bySev)),
			syncCard(d, rerender),
			h('section', { class: 'card wide', id: 'card-failures' }, h('h2', null, 'Failed installs, last 24 hours'),
				table([
					{ title: 'Computer', get: (f) => link(`#/computers/${f.computer}`, f.hostname) },
					{ title: 'Update', get: (f) => link(`#/updates/${f.update}`, f.title || f.update) },
					{ title: 'Detail', get: (f) => f.detail || '', class: 'detail' },
					{ title: 'Reported', get: (f) => ago(f.reported) },
				], d.failures_24h, { empty: 'No failed installs in the last 24 hours.' })),
			h('section', { class: 'card wide', id: 'card-installs' }, h('h2', null, 'Installed, last 24 hours'),
				table([
					{ title: 'Computer', get: (f) => link(`#/computers/${f.computer}`, f.hostname) },
					{ title: 'Update', get: (f) => link(`#/updates/${f.update}`, f.title || f.update) },
					{ title: 'Reported', get: (f) => ago(f.reported) },
				], d.installed_24h.slice(0, 10), { empty: 'Nothing installed in the last 24 hours.' })),
			h('section', { class: 'card', id: 'card-downstreams' }, h('h2', null, 'Downstream servers'),
				table([
					{ title: 'Server', get: (x) => x.name },
					{ title: 'Mode', get: (x) => x.mode || '—' },
					{ title: 'Last contact', get: (x) => ago([x.last_sync, x.last_rollup].filter(Boolean).sort().pop()) },
				], d.downstreams, { empty: 'No downstream servers.' }))));
}

function tile(label, value, href, kind) {
	return h('a', { class: `tile ${kind || ''}`, href }, h('b', null, String(value)), h('span', null, label));
}
