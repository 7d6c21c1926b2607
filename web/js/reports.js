// reports: per update and per computer, paged on the server; the CSV
// export walks every page of the same query.
import * as api from './api.js';
import { h, fill, table, pager, link, downloadCsv, select, field, toast } from './ui.js';
import { go } from './app.js';
import { CLASSIFICATIONS } from './updates.js';

const LIMIT = 50;
const C = (o, k) => (o.counts ? o.counts[k] || 0 : 0);

async function all(path, key, q) {
	const out = [];
	for (let off = 0; ; off += 500) {
		const r = await api.get(path + api.qs({ ...q, offset: off, limit: 500 }));
		out.push(...r[key]);
		if (off + 500 >= r.total) return out;
	}
}

export async function render(main, parts, query) {
	const kind = query.get('kind') === 'computers' ? 'computers' : 'updates';
	const offset = Number(query.get('offset') || 0);
	const cls = query.get('classification') || '';
	const group = query.get('group') || '';
	const tabs = h('div', { class: 'tabs', role: 'tablist' },
		h('a', { href: '#/reports?kind=updates', role: 'tab', 'aria-selected': String(kind === 'updates'), class: kind === 'updates' ? 'active' : '' }, 'Per update'),
		h('a', { href: '#/reports?kind=computers', role: 'tab', 'aria-selected': String(kind === 'computers'), class: kind === 'computers' ? 'active' : '' }, 'Per computer'));
	const nav = (o) => go(`#/reports?kind=${kind}` + (cls ? `&classification=${cls}` : '') + (group ? `&group=${encodeURIComponent(group)}` : '') + (o ? `&offset=${o}` : ''));
	if (kind === 'updates') {
		const q = { classification: cls };
		const r = await api.get('/v1/admin/console/updates' + api.qs({ ...q, offset, limit: LIMIT }));
		const cols = ['not_applicable', 'needed', 'downloaded', 'installed', 'installed_pending_reboot', 'failed', 'no_status'];
		fill(main, h('div', { class: 'page-head' }, h('h1', null, 'Reports'),
			h('button', { type: 'button', id: 'export-csv', onclick: async () => {
				const rows = await all('/v1/admin/console/updates', 'updates', q);
				downloadCsv('updates-report.csv', ['id', 'revision', 'title', 'classification', 'product', 'kb_article', ...cols], rows.map((u) => [u.id, u.revision, u.title, u.classification, u.product, u.kb_article || '', ...cols.map((k) => C(u, k))]));
				toast(`${rows.length} rows exported`, 'good');
			} }, 'Export CSV')), tabs,
		h('form', { class: 'filters', onchange: (ev) => go(`#/reports?kind=updates${ev.target.value ? `&classification=${ev.target.value}` : ''}`) },
			field('Classification', select('classification', [['', 'Any'], ...CLASSIFICATIONS.map((c) => [c, c])], cls))),
		table([
			{ title: 'Update', class: 'title', get: (u) => link(`#/updates/${u.id}`, u.title) },
			{ title: 'Classification', get: (u) => u.classification },
			{ title: 'Installed', class: 'num', get: (u) => C(u, 'installed') + C(u, 'installed_pending_reboot') },
			{ title: 'Needed', class: 'num', get: (u) => C(u, 'needed') + C(u, 'downloaded') },
			{ title: 'Failed', class: 'num', get: (u) => C(u, 'failed') },
			{ title: 'Not applicable', class: 'num', get: (u) => C(u, 'not_applicable') },
			{ title: 'No status', class: 'num', get: (u) => C(u, 'no_status') },
		], r.updates), pager(r.total, r.offset, r.limit, nav));
		return;
	}
	const { groups } = await api.get('/v1/admin/groups');
	const q = { group };
	const r = await api.get('/v1/admin/console/computers' + api.qs({ ...q, offset, limit: LIMIT }));
	fill(main, h('div', { class: 'page-head' }, h('h1', null, 'Reports'),
		h('button', { type: 'button', id: 'export-csv', onclick: async () => {
			const rows = await all('/v1/admin/console/computers', 'computers', q);
			downloadCsv('computers-report.csv', ['id', 'hostname', 'group', 'server', 'os', 'status', 'last_contact', 'installed', 'needed', 'failed', 'not_applicable'],
				rows.map((c) => [c.id, c.hostname, c.group, c.server || '', c.os || '', c.status, c.last_contact || '', C(c, 'installed') + C(c, 'installed_pending_reboot'), C(c, 'needed') + C(c, 'downloaded'), C(c, 'failed'), C(c, 'not_applicable')]));
			toast(`${rows.length} rows exported`, 'good');
		} }, 'Export CSV')), tabs,
	h('form', { class: 'filters', onchange: (ev) => go(`#/reports?kind=computers${ev.target.value ? `&group=${encodeURIComponent(ev.target.value)}` : ''}`) },
		field('Group', select('group', [['', 'All'], ...groups.map((g) => [g.name, g.name])], group))),
	table([
		{ title: 'Computer', class: 'title', get: (c) => link(`#/computers/${c.id}`, c.hostname) },
		{ title: 'Group', get: (c) => c.group },
		{ title: 'Installed', class: 'num', get: (c) => C(c, 'installed') + C(c, 'installed_pending_reboot') },
		{ title: 'Needed', class: 'num', get: (c) => C(c, 'needed') + C(c, 'downloaded') },
		{ title: 'Failed', class: 'num', get: (c) => C(c, 'failed') },
		{ title: 'Not applicable', class: 'num', get: (c) => C(c, 'not_applicable') },
	], r.computers), pager(r.total, r.offset, r.limit, nav));
}
