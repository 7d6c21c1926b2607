// computers: the group tree (create, rename, move, delete), the computers
// list (GET /v1/admin/console/computers: filtered and paged on the
// server), moving computers between groups, and one computer's page.
import * as api from './api.js';
import { h, fill, table, pager, link, badge, field, select, toast, dialog, confirmDialog, fmtTime, ago, COLORS, donut, downloadCsv } from './ui.js';
import { go } from './app.js';
import { groupTree } from './update.js';

const LIMIT = 50;
const BUILTIN = ['All Computers', 'Unassigned Computers'];
const STATUS = [['', 'Any'], ['up_to_date', 'Up to date'], ['needed', 'Needing updates'], ['failed', 'With failures'], ['no_status', 'Not yet reported'], ['stale', 'Not reported for N days']];

function groupOptions(groups) {
	return groupTree(groups).map(([g, d]) => [g.name, '\u00a0\u00a0'.repeat(d) + g.name]);
}

function treePanel(groups, current, reload) {
	const admin = api.isAdmin();
	const items = groupTree(groups).map(([g, d]) => h('li', { class: current === g.name ? 'current' : '' },
		h('a', { href: `#/computers?group=${encodeURIComponent(g.name)}`, style: { paddingLeft: `${0.5 + d}rem` } }, g.name, h('span', { class: 'count' }, String(g.computers)))));
	const sel = groups.find((g) => g.name === current);
	const tools = admin ? h('div', { class: 'tree-tools' },
		h('button', { type: 'button', id: 'group-new', onclick: () => {
			const name = h('input', { type: 'text', name: 'name', required: true });
			const parent = select('parent', groupOptions(groups), current || 'All Computers');
			dialog('New group', h('div', { class: 'form' }, field('Name', name), field('Parent', parent)), [{ text: 'Cancel' }, {
				text: 'Create', primary: true, onclick: async () => { await api.post('/v1/admin/groups', { name: name.value, parent: parent.value }); toast(`Group ${name.value} created`, 'good'); reload(); },
			}]);
		} }, 'New group'),
		sel && !BUILTIN.includes(sel.name) ? [
			h('button', { type: 'button', onclick: () => {
				const name = h('input', { type: 'text', name: 'name', value: sel.name });
				const parent = select('parent', groupOptions(groups.filter((g) => g.name !== sel.name)), sel.parent);
				dialog(`Edit group ${sel.name}`, h('div', { class: 'form' }, field('Name', name), field('Parent', parent)), [{ text: 'Cancel' }, {
					text: 'Save', primary: true, onclick: async () => {
						const r = await api.put(`/v1/admin/groups/${encodeURIComponent(sel.name)}`, { name: name.value, parent: parent.value });
						toast('Group saved', 'good'); go(`#/computers?group=${encodeURIComponent(r.name)}`);
					},
				}]);
			} }, 'Rename / move'),
			h('button', { type: 'button', class: 'danger', onclick: () => confirmDialog(`Delete group ${sel.name}`, 'Its computers and subgroups move to its parent; its own approvals are dropped.', {
				text: 'Delete', run: async () => { await api.del(`/v1/admin/groups/${encodeURIComponent(sel.name)}?force=1`); toast('Group deleted', 'good'); go('#/computers'); },
			}) }, 'Delete')] : null) : null;
	return h('aside', { class: 'tree-panel', 'aria-label': 'Computer groups' }, h('h2', null, 'Groups'), h('ul', { class: 'tree' }, items), tools);
}

export async function render(main, parts, query) {
	if (parts.length > 0) return computerPage(main, parts[0]);
	const f = { group: query.get('group') || '', os: query.get('os') || '', status: query.get('status') || '', search: query.get('search') || '', days: query.get('days') || '' };
	const offset = Number(query.get('offset') || 0);
	const [groups, data] = await Promise.all([api.get('/v1/admin/groups').then((r) => r.groups), api.get('/v1/admin/console/computers' + api.qs({ ...f, offset, limit: LIMIT }))]);
	const selected = new Set();
	const setQuery = (o) => {
		const p = new URLSearchParams();
		for (const [k, v] of Object.entries({ ...f, offset: 0, ...o })) if (v !== '' && v !== 0 && v != null) p.set(k, v);
		go('#/computers' + (p.toString() ? '?' + p : ''));
	};
	const reload = () => render(main, parts, query);
	const form = h('form', {
		class: 'filters', role: 'search',
		onsubmit: (ev) => { ev.preventDefault(); setQuery(Object.fromEntries(new FormData(form))); },
		onchange: (ev) => { if (ev.target.tagName === 'SELECT') form.requestSubmit(); },
	},
	field('Search', h('input', { type: 'search', name: 'search', value: f.search, placeholder: 'Host name' })),
	field('Group', select('group', [['', 'All'], ...groupOptions(groups)], f.group)),
	field('OS', h('input', { type: 'text', name: 'os', value: f.os, placeholder: 'e.g. debian 12' })),
	field('Status', select('status', STATUS, f.status)),
	field('N days', h('input', { type: 'number', name: 'days', min: 1, value: f.days, placeholder: '30' })),
	h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('button', { type: 'button', onclick: () => go('#/computers') }, 'Clear')));
	const bulk = h('div', { class: 'bulk', hidden: true });
	const refreshBulk = () => {
		bulk.hidden = selected.size === 0;
		const target = select('target', groupOptions(groups), 'Unassigned Computers', { 'aria-label': 'Move to group' });
		bulk.replaceChildren(h('span', null, `${selected.size} selected`), h('span', null, 'Move to '), target,
			h('button', { type: 'button', class: 'primary', onclick: async () => {
				for (const id of selected) await api.put(`/v1/admin/computers/${id}/group`, { group: target.value });
				toast(`${selected.size} computer(s) moved to ${target.value}`, 'good'); reload();
			} }, 'Move'));
	};
	const n = (c, k) => c.counts[k] || 0;
	fill(main,
		h('div', { class: 'page-head' }, h('h1', null, f.group || 'Computers'), h('span', { class: 'muted' }, `${data.total.toLocaleString('en')} matching`)),
		h('div', { class: 'split' }, treePanel(groups, f.group, reload), h('div', { class: 'split-main' }, form, bulk,
			table([
				{ title: 'Computer', class: 'title', get: (c) => h('div', null, link(`#/computers/${c.id}`, c.hostname), h('div', { class: 'sub' }, [c.os, c.arch].filter(Boolean).join(' · '))) },
				{ title: 'Group', get: (c) => c.group },
				{ title: 'Status', get: (c) => h('span', null, badge(c.status.replace(/_/g, ' '), c.status), c.stale ? badge('stale') : null) },
				{ title: 'Needed', class: 'num', get: (c) => n(c, 'needed') + n(c, 'downloaded') },
				{ title: 'Failed', class: 'num', get: (c) => n(c, 'failed') },
				{ title: 'Installed', class: 'num', get: (c) => n(c, 'installed') + n(c, 'installed_pending_reboot') },
				{ title: 'Last contact', get: (c) => h('span', { title: fmtTime(c.last_contact) }, ago(c.last_contact)) },
				{ title: 'Server', get: (c) => c.server || 'local' },
			], data.computers, { select: api.isAdmin(), selected, key: (c) => c.id, onselect: refreshBulk, empty: 'No computer matches.' }),
			pager(data.total, data.offset, data.limit, (o) => setQuery({ offset: o })))));
}

// A computer's states, a page at a time (the server pages them: a computer
// of a large catalog has tens of thousands), filtered by state.
const STATES_PAGE = 100;
const STATES_PAGE_MAX = 10000; // the largest page the server gives
const STATE_NAMES = [['failed', 'Failed'], ['needed', 'Needed'], ['downloaded', 'Downloaded'], ['installed-pending-reboot', 'Installed, reboot pending'], ['installed', 'Installed'], ['not-applicable', 'Not applicable']];

function statesQuery(state, limit, offset) {
	const q = new URLSearchParams({ limit, offset });
	if (state) q.set('state', state);
	return q;
}

async function computerPage(main, id) {
	const base = `/v1/admin/computers/${encodeURIComponent(id)}/status`;
	const [d, groups] = await Promise.all([api.get(`${base}?${statesQuery('', STATES_PAGE, 0)}`), api.get('/v1/admin/groups').then((r) => r.groups)]);
	const c = d.computer;
	const cnt = (k) => d.counts[k.replace(/-/g, '_')] || 0;
	const total = (state) => (state ? cnt(state) : STATE_NAMES.reduce((a, [k]) => a + cnt(k), 0));
	const move = api.isAdmin() ? h('div', { class: 'actions' }, (() => {
		const sel = select('group', groupOptions(groups), c.group, { 'aria-label': 'Group' });
		return [h('span', null, 'Group '), sel, h('button', { type: 'button', onclick: async () => { await api.put(`/v1/admin/computers/${c.id}/group`, { group: sel.value }); toast(`Moved to ${sel.value}`, 'good'); computerPage(main, id); } }, 'Move')];
	})()) : null;
	let state = '';
	const filter = select('state', [['', `All (${total('').toLocaleString('en')})`], ...STATE_NAMES.map(([k, t]) => [k, `${t} (${cnt(k).toLocaleString('en')})`])], '', { 'aria-label': 'State', onchange: (ev) => { state = ev.target.value; showStates(0); } });
	// Every state of the filter, STATES_PAGE_MAX at a time.
	const exportCsv = async () => {
		const rows = [];
		for (let off = 0; ; off += STATES_PAGE_MAX) {
			const p = await api.get(`${base}?${statesQuery(state, STATES_PAGE_MAX, off)}`);
			rows.push(...p.updates.map((u) => [u.id, u.title, u.revision, u.state, u.detail || '', u.reported || '']));
			if (p.updates.length < STATES_PAGE_MAX) break;
		}
		downloadCsv(`computer-${c.hostname}.csv`, ['update', 'title', 'revision', 'state', 'detail', 'reported'], rows);
	};
	const statesCard = h('section', { class: 'card wide', id: 'computer-updates' });
	const showStates = async (offset, page) => {
		const p = page || await api.get(`${base}?${statesQuery(state, STATES_PAGE, offset)}`);
		fill(statesCard,
			h('div', { class: 'card-head' }, h('h2', null, 'Updates'), filter, h('button', { type: 'button', onclick: exportCsv }, 'Export CSV')),
			table([
				{ title: 'Update', get: (u) => link(`#/updates/${u.id}`, u.title || u.id) },
				{ title: 'State', get: (u) => badge(u.state, u.state) },
				{ title: 'Detail', class: 'detail', get: (u) => u.detail || '' },
				{ title: 'Reported', get: (u) => fmtTime(u.reported) },
			], p.updates, { empty: state ? 'No update in this state.' : 'This computer has reported nothing yet.' }),
			total(state) > STATES_PAGE ? pager(total(state), offset, STATES_PAGE, (o) => showStates(o)) : null);
	};
	await showStates(0, d);
	fill(main,
		h('p', { class: 'crumbs' }, link('#/computers', 'Computers'), ' › ', link(`#/computers?group=${encodeURIComponent(c.group)}`, c.group), ' › '),
		h('div', { class: 'page-head' }, h('h1', null, c.hostname), h('span', { class: 'muted' }, c.id)),
		move,
		h('div', { class: 'cards' },
			h('section', { class: 'card' }, h('h2', null, 'Computer'), h('dl', { class: 'kv' },
				[['OS', c.os], ['Architecture', c.arch], ['Kernel', c.kernel], ['Group', c.group], ['Agent', c.agent_version], ['Last contact', fmtTime(c.last_contact)], ['Last report', fmtTime(c.last_report)], ['Reports to', c.server || 'this server']]
					.map(([k, v]) => [h('dt', null, k), h('dd', null, v || '—')]))),
			h('section', { class: 'card' }, h('h2', null, 'Updates by state'), donut([
				{ label: 'Installed', value: cnt('installed') + cnt('installed-pending-reboot'), color: COLORS.installed },
				{ label: 'Needed', value: cnt('needed') + cnt('downloaded'), color: COLORS.needed },
				{ label: 'Failed', value: cnt('failed'), color: COLORS.failed },
				{ label: 'Not applicable', value: cnt('not-applicable'), color: COLORS.not_applicable },
			])),
			statesCard,
			h('section', { class: 'card wide', id: 'computer-history' }, h('h2', null, 'Install history'), table([
				{ title: 'Time', get: (e) => fmtTime(e.time || e.received) },
				{ title: 'Update', get: (e) => link(`#/updates/${e.id}`, e.title || e.id) },
				{ title: 'Kind', get: (e) => e.kind }, { title: 'Result', get: (e) => badge(e.result, e.result) },
				{ title: 'Exit code', class: 'num', get: (e) => e.exit_code ?? '—' },
				{ title: 'Output', class: 'detail', get: (e) => (e.output ? h('pre', { class: 'output' }, e.output) : '') },
			], d.events, { empty: 'No events.' }))));
}
