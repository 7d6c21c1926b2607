// admin: auto-approval rules, synchronization (history, settings, sync
// now), downstream servers, admin tokens and the audit log.
import * as api from './api.js';
import { h, fill, table, badge, fmtTime, ago, dialog, confirmDialog, toast, field, select } from './ui.js';
import { go } from './app.js';
import { CLASSIFICATIONS } from './updates.js';
import { groupTree } from './update.js';

const head = (title, ...extra) => h('div', { class: 'page-head' }, h('h1', null, title), ...extra);
const adminBtn = (text, onclick, cls) => (api.isAdmin() ? h('button', { type: 'button', class: cls || 'primary', onclick }, text) : null);

export async function rules(main) {
	const [{ rules: list }, { groups }] = await Promise.all([api.get('/v1/admin/rules'), api.get('/v1/admin/groups')]);
	const reload = () => rules(main);
	fill(main, head('Automatic approval rules',
		adminBtn('New rule…', () => newRule(groups, reload)),
		adminBtn('Run all rules now', async () => { const r = await api.post('/v1/admin/rules/run'); toast(`${r.approved} approved, ${r.skipped_license} skipped (license terms)`, 'good'); reload(); }, '')),
	h('p', { class: 'muted' }, 'Rules run after every successful synchronization on the updates it brought for the first time.'),
	table([
		{ title: 'Name', get: (r) => h('b', null, r.name) },
		{ title: 'When an update is', get: (r) => `${r.classification || 'any classification'} of ${r.product || 'any product'}` },
		{ title: 'Then', get: (r) => `${r.action} for ${r.groups.join(', ')}${r.deadline_days != null ? `, deadline ${r.deadline_days} days` : ''}` },
		{ title: 'License terms', get: (r) => (r.accept_license ? 'accepted' : 'skip such updates') },
		{ title: 'Enabled', get: (r) => (r.enabled ? badge('enabled', 'success') : badge('disabled')) },
		{ title: 'Created', get: (r) => `${r.created_by}, ${fmtTime(r.created_at)}` },
		{ title: '', get: (r) => (api.isAdmin() ? h('span', { class: 'row-actions' },
			h('button', { type: 'button', onclick: async () => { const x = await api.post('/v1/admin/rules/run', { rule: r.name }); toast(`${x.approved} approved`, 'good'); } }, 'Run'),
			h('button', { type: 'button', class: 'danger', onclick: () => confirmDialog(`Delete rule ${r.name}`, 'Approvals it made stay.', { text: 'Delete', run: async () => { await api.del(`/v1/admin/rules/${encodeURIComponent(r.name)}`); reload(); } }) }, 'Delete')) : '') },
	], list, { empty: 'No rules.' }));
}

function newRule(groups, reload) {
	const name = h('input', { type: 'text', name: 'name', required: true });
	const cls = select('classification', [['', 'Any'], ...CLASSIFICATIONS.map((c) => [c, c])], 'security');
	const product = h('input', { type: 'text', name: 'product', placeholder: 'Any' });
	const gs = h('select', { name: 'groups', multiple: true, size: 6 }, groupTree(groups).map(([g, d]) => h('option', { value: g.name }, '\u00a0\u00a0'.repeat(d) + g.name)));
	const action = select('action', [['install', 'Install'], ['uninstall', 'Uninstall']], 'install');
	const days = h('input', { type: 'number', name: 'deadline_days', min: 0, placeholder: 'none' });
	const lic = h('input', { type: 'checkbox', name: 'accept_license' });
	dialog('New automatic approval rule', h('div', { class: 'form' }, field('Name', name), field('Classification', cls), field('Product', product),
		field('Groups', gs, 'Ctrl/Cmd-click to choose several'), field('Approval', action), field('Deadline (days after approval)', days),
		h('label', { class: 'check' }, lic, ' Accept license terms of the updates it approves')), [{ text: 'Cancel' }, {
		text: 'Create', primary: true, onclick: async () => {
			await api.post('/v1/admin/rules', {
				name: name.value, classification: cls.value || null, product: product.value || null,
				groups: [...gs.selectedOptions].map((o) => o.value), action: action.value,
				deadline_days: days.value === '' ? null : Number(days.value), accept_license: lic.checked, enabled: true,
			});
			toast('Rule created', 'good'); reload();
		},
	}]);
}

export async function sync(main) {
	const [{ history }, settings] = await Promise.all([api.get('/v1/admin/sync/history'), api.get('/v1/admin/settings')]);
	const reload = () => sync(main);
	const targeting = select('targeting', [['client', 'Client-side (agents declare their group)'], ['server', 'Server-side (assign here)']], settings.targeting);
	const unknown = select('unknown_groups', [['ignore', 'Ignore (Unassigned Computers)'], ['create', 'Create the group'], ['reject', 'Reject the registration']], settings.unknown_groups);
	if (!api.isAdmin()) { targeting.disabled = true; unknown.disabled = true; }
	fill(main, head('Synchronization', adminBtn('Synchronize now', async () => { await api.post('/v1/admin/sync'); toast('Synchronization started', 'good'); setTimeout(reload, 1500); })),
		h('div', { class: 'cards' },
			h('section', { class: 'card wide' }, h('h2', null, 'History'), table([
				{ title: 'Started', get: (s) => fmtTime(s.started) }, { title: 'Finished', get: (s) => fmtTime(s.finished) },
				{ title: 'Result', get: (s) => badge(s.result, s.result) },
				{ title: 'New', class: 'num', get: (s) => s.new }, { title: 'Revised', class: 'num', get: (s) => s.revised }, { title: 'Expired', class: 'num', get: (s) => s.expired },
				{ title: 'Index', class: 'num', get: (s) => s.index_version ?? '—' }, { title: 'Error', class: 'detail', get: (s) => s.error || '' },
			], history, { empty: 'No synchronization yet.' })),
			h('section', { class: 'card' }, h('h2', null, 'Computer targeting'), h('form', {
				class: 'form', onsubmit: async (ev) => { ev.preventDefault(); await api.put('/v1/admin/settings', { targeting: targeting.value, unknown_groups: unknown.value }); toast('Settings saved', 'good'); },
			}, field('Targeting', targeting), field('Groups agents declare that do not exist', unknown), api.isAdmin() ? h('button', { type: 'submit', class: 'primary' }, 'Save') : null),
			h('p', { class: 'muted small' }, 'The upstream, schedule, products, classifications and storage mode are in sluiced.conf.'))));
}

export async function downstreams(main) {
	const { downstreams: list } = await api.get('/v1/admin/downstreams');
	const reload = () => downstreams(main);
	fill(main, head('Downstream servers', adminBtn('Add server…', () => {
		const name = h('input', { type: 'text', name: 'name', required: true });
		dialog('Add a downstream server', field('Name', name), [{ text: 'Cancel' }, {
			text: 'Add', primary: true, onclick: async () => {
				const r = await api.post('/v1/admin/downstreams', { name: name.value });
				showSecret(`Token for ${r.name}`, r.token, 'Put it in the downstream server\'s [upstream] token. It is shown only now.');
				reload();
			},
		}]);
	})), table([
		{ title: 'Name', get: (x) => h('b', null, x.name) }, { title: 'Mode', get: (x) => x.mode || '—' },
		{ title: 'Last sync', get: (x) => ago(x.last_sync) }, { title: 'Last roll-up', get: (x) => ago(x.last_rollup) },
		{ title: 'Computers', class: 'num', get: (x) => x.computers.total }, { title: 'Needing', class: 'num', get: (x) => x.computers.needing },
		{ title: 'Failed', class: 'num', get: (x) => x.computers.failed },
		{ title: 'State', get: (x) => (x.revoked ? badge('revoked') : badge('active', 'success')) },
		{ title: '', get: (x) => (api.isAdmin() && !x.revoked ? h('button', { type: 'button', class: 'danger', onclick: () => confirmDialog(`Remove ${x.name}`, 'Its token stops working.', { text: 'Remove', run: async () => { await api.del(`/v1/admin/downstreams/${encodeURIComponent(x.name)}`); reload(); } }) }, 'Remove') : '') },
	], list, { empty: 'No downstream servers.' }));
}

function showSecret(title, secret, note) {
	dialog(title, h('div', null, h('p', null, note), h('pre', { class: 'secret', tabindex: '0' }, secret)), [{ text: 'Done', primary: true }]);
}

export async function tokens(main) {
	const { tokens: list } = await api.get('/v1/admin/tokens');
	const reload = () => tokens(main);
	fill(main, head('Admin tokens', adminBtn('New token…', () => {
		const name = h('input', { type: 'text', name: 'name', required: true });
		const role = select('role', [['reporter', 'Reporter (read-only)'], ['administrator', 'Administrator']], 'reporter');
		dialog('New admin token', h('div', { class: 'form' }, field('Name', name), field('Role', role)), [{ text: 'Cancel' }, {
			text: 'Create', primary: true, onclick: async () => {
				const r = await api.post('/v1/admin/tokens', { name: name.value, role: role.value });
				showSecret(`Token ${r.name} (${r.role})`, r.token, 'Copy it now: it is shown only once.');
				reload();
			},
		}]);
	})), table([
		{ title: 'Name', get: (t) => h('b', null, t.name) }, { title: 'Role', get: (t) => badge(t.role, `role-${t.role}`) },
		{ title: 'Created', get: (t) => fmtTime(t.created) }, { title: 'Revoked', get: (t) => (t.revoked ? fmtTime(t.revoked) : '—') },
		{ title: '', get: (t) => (api.isAdmin() && !t.revoked ? h('button', { type: 'button', class: 'danger', onclick: () => confirmDialog(`Revoke ${t.name}`, 'Whoever uses it is signed out.', { text: 'Revoke', run: async () => { await api.del(`/v1/admin/tokens/${t.id}`); reload(); } }) }, 'Revoke') : '') },
	], list));
}

export async function audit(main, parts, query) {
	const actor = query.get('actor') || '', action = query.get('action') || '';
	const { audit: list } = await api.get('/v1/admin/audit' + api.qs({ actor, action, limit: 500 }));
	const form = h('form', {
		class: 'filters', role: 'search', onsubmit: (ev) => { ev.preventDefault(); const p = new URLSearchParams([...new FormData(form)].filter(([, v]) => v)); go('#/audit' + (p.toString() ? '?' + p : '')); },
	}, field('Who', h('input', { type: 'text', name: 'actor', value: actor })), field('Action', h('input', { type: 'text', name: 'action', value: action, placeholder: 'e.g. approval' })),
	h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply')));
	fill(main, head('Audit log', h('span', { class: 'muted' }, 'newest first, at most 500')), form, table([
		{ title: 'Time', get: (a) => fmtTime(a.time) }, { title: 'Who', get: (a) => a.actor }, { title: 'Action', get: (a) => h('code', null, a.action) },
		{ title: 'On', get: (a) => a.target || '' }, { title: 'Detail', class: 'detail', get: (a) => a.detail || '' },
	], list, { empty: 'Nothing recorded.' }));
}
