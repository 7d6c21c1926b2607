// updates: the updates list (GET /v1/admin/console/updates: filtered and
// paged on the server), with bulk approve/decline of a selection; the
// detail page of one update is update.js.
import * as api from './api.js';
import { h, fill, table, pager, link, badge, field, select, toast, dialog } from './ui.js';
import { go } from './app.js';
import { approveDialog, groupTree } from './update.js';

export const CLASSIFICATIONS = ['security', 'critical', 'feature', 'definition', 'update', 'driver', 'tool', 'service-pack', 'rollup'];
const SEVERITIES = ['critical', 'important', 'moderate', 'low', 'unspecified'];
const FILTERS = ['search', 'classification', 'severity', 'product', 'approval', 'status', 'superseded', 'declined', 'since', 'until'];
const LIMIT = 50;

export function approvalSummary(u) {
	const a = (u.approvals || []).filter((x) => x.action !== 'not-approved');
	if (u.declined) return badge('declined');
	if (a.length === 0) return h('span', { class: 'muted' }, 'not approved');
	return h('span', null, a.map((x) => badge(`${x.action}: ${x.group}`, x.action)));
}

export async function render(main, parts, query) {
	if (parts.length > 0) return (await import('./update.js')).render(main, parts, query);
	const f = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) || '']));
	const offset = Number(query.get('offset') || 0);
	const data = await api.get('/v1/admin/console/updates' + api.qs({ ...f, offset, limit: LIMIT }));
	const selected = new Set();
	const bulk = h('div', { class: 'bulk', hidden: true });

	const setQuery = (o) => {
		const p = new URLSearchParams();
		for (const [k, v] of Object.entries({ ...f, offset: 0, ...o })) if (v !== '' && v !== 0 && v != null) p.set(k, v);
		go('#/updates' + (p.toString() ? '?' + p : ''));
	};
	const form = h('form', {
		class: 'filters', role: 'search',
		onsubmit: (ev) => { ev.preventDefault(); setQuery(Object.fromEntries(new FormData(form))); },
		onchange: (ev) => { if (ev.target.tagName === 'SELECT' || ev.target.type === 'date') form.requestSubmit(); },
	},
	field('Search', h('input', { type: 'search', name: 'search', value: f.search, placeholder: 'Title, KB or id' })),
	field('Classification', select('classification', [['', 'Any'], ...CLASSIFICATIONS.map((c) => [c, c])], f.classification)),
	field('Severity', select('severity', [['', 'Any'], ...SEVERITIES.map((c) => [c, c])], f.severity)),
	field('Product', h('input', { type: 'text', name: 'product', value: f.product, placeholder: 'Any' })),
	field('Approval', select('approval', [['', 'Any'], ['approved', 'Approved'], ['unapproved', 'Not approved']], f.approval)),
	field('Status', select('status', [['', 'Any'], ['needed', 'Needed'], ['failed', 'Failed'], ['installed', 'Installed'], ['not_applicable', 'Not applicable']], f.status)),
	field('Superseded', select('superseded', [['', 'Any'], ['1', 'Superseded'], ['0', 'Not superseded']], f.superseded)),
	field('Declined', select('declined', [['', 'Hide'], ['1', 'Show'], ['only', 'Only']], f.declined)),
	field('Released from', h('input', { type: 'date', name: 'since', value: f.since })),
	field('to', h('input', { type: 'date', name: 'until', value: f.until })),
	h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('button', { type: 'button', onclick: () => go('#/updates') }, 'Clear')));

	const refreshBulk = () => {
		bulk.hidden = selected.size === 0 || !api.isAdmin();
		bulk.replaceChildren(h('span', null, `${selected.size} selected`),
			h('button', { type: 'button', class: 'primary', onclick: () => bulkApprove([...selected]) }, 'Approve…'),
			h('button', { type: 'button', onclick: () => bulkDecline([...selected], true) }, 'Decline'),
			h('button', { type: 'button', onclick: () => bulkDecline([...selected], false) }, 'Undecline'));
	};
	const n = (u, k) => (u.counts ? u.counts[k] || 0 : 0);
	const cols = [
		{ title: 'Title', class: 'title', get: (u) => h('div', null, link(`#/updates/${u.id}`, u.title), h('div', { class: 'sub' }, [u.kb_article, u.product].filter(Boolean).join(' · '))) },
		{ title: 'Classification', get: (u) => u.classification },
		{ title: 'Severity', get: (u) => (u.severity ? badge(u.severity, `sev-${u.severity}`) : '—') },
		{ title: 'Released', class: 'date', get: (u) => u.release_date || '—' },
		{ title: 'Approval', get: approvalSummary },
		{ title: 'Needed', class: 'num', get: (u) => n(u, 'needed') + n(u, 'downloaded') },
		{ title: 'Installed', class: 'num', get: (u) => n(u, 'installed') + n(u, 'installed_pending_reboot') },
		{ title: 'Failed', class: 'num', get: (u) => { const v = n(u, 'failed'); return v ? h('b', { class: 'bad' }, String(v)) : '0'; } },
		{ title: 'Not applicable', class: 'num', get: (u) => n(u, 'not_applicable') },
	];
	fill(main,
		h('div', { class: 'page-head' }, h('h1', null, 'Updates'), h('span', { class: 'muted' }, `${data.total.toLocaleString('en')} matching`)),
		form, bulk,
		table(cols, data.updates, { select: api.isAdmin(), selected, key: (u) => u.id, onselect: refreshBulk, empty: 'No update matches these filters.' }),
		pager(data.total, data.offset, data.limit, (o) => setQuery({ offset: o })));
	refreshBulk();

	async function bulkApprove(ids) {
		const groups = (await api.get('/v1/admin/groups')).groups;
		const gsel = select('group', groupTree(groups).map(([g, d]) => [g.name, '\u00a0\u00a0'.repeat(d) + g.name]), 'All Computers');
		const act = select('action', [['install', 'Install'], ['uninstall', 'Uninstall'], ['not-approved', 'Not approved'], ['inherit', 'Inherit from parent']], 'install');
		const lic = h('input', { type: 'checkbox', name: 'accept_license' });
		dialog(`Approve ${ids.length} update(s)`, h('div', { class: 'form' }, field('Group', gsel), field('Approval', act),
			h('label', { class: 'check' }, lic, ' I have read and accept the license terms of the selected updates that have them (each update\'s page shows its terms)')), [
			{ text: 'Cancel' },
			{
				text: 'Approve', primary: true, onclick: async () => {
					const bad = [];
					for (const id of ids) {
						try {
							await api.post('/v1/admin/approvals', { update: id, group: gsel.value, action: act.value, accept_license: lic.checked });
						} catch (e) { bad.push(e.message); }
					}
					if (bad.length) throw new Error(`${ids.length - bad.length} approved; ${bad.length} refused: ${bad.join(' | ')}`);
					toast(`${ids.length} update(s): ${act.value} for ${gsel.value}`, 'good');
					go(location.hash);
				},
			}]);
	}
	async function bulkDecline(ids, declined) {
		for (const id of ids) await api.post(`/v1/admin/updates/${id}/decline`, { declined });
		toast(`${ids.length} update(s) ${declined ? 'declined' : 'undeclined'}`, 'good');
		go(location.hash);
	}
}

