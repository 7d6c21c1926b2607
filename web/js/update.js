// update: one update's page (GET /v1/admin/updates/<id> and its report),
// the Approve dialog (per group of the tree, deadline, apply to children,
// license terms shown and accepted in the dialog) and decline.
import * as api from './api.js';
import { h, fill, table, pager, link, badge, fmtTime, ago, dialog, toast, field, donut, select, COLORS, downloadCsv } from './ui.js';
import { go } from './app.js';

// [[group, depth]] in tree order (All Computers first).
export function groupTree(groups) {
	const kids = new Map();
	for (const g of groups) {
		const k = g.parent || '';
		if (!kids.has(k)) kids.set(k, []);
		kids.get(k).push(g);
	}
	for (const l of kids.values()) l.sort((a, b) => (a.name === 'Unassigned Computers') - (b.name === 'Unassigned Computers') || a.name.localeCompare(b.name));
	const out = [];
	const walk = (p, d) => { for (const g of kids.get(p) || []) { out.push([g, d]); walk(g.name, d + 1); } };
	walk('', 0);
	return out;
}

function descendants(groups, name) {
	const out = [];
	const walk = (p) => { for (const g of groups) if (g.parent === p) { out.push(g.name); walk(g.name); } };
	walk(name);
	return out;
}

// Readable text of an applicability rule tree.
export function ruleText(r) {
	if (!r || typeof r !== 'object') return String(r);
	if (r.and) return r.and.length === 1 ? ruleText(r.and[0]) : '(' + r.and.map(ruleText).join(' AND ') + ')';
	if (r.or) return r.or.length === 1 ? ruleText(r.or[0]) : '(' + r.or.map(ruleText).join(' OR ') + ')';
	if (r.not) return 'NOT ' + ruleText(r.not);
	const v = (x) => (x.op ? ` ${x.op} ${x.version}` : '');
	switch (r.type) {
	case 'true': return 'always';
	case 'false': return 'never';
	case 'os_id': return `OS is ${r.id}`;
	case 'os_version': return `OS version${v(r)}`;
	case 'arch': return `architecture is ${r.arch}`;
	case 'kernel': return `kernel${v(r)}`;
	case 'file_exists': return `file ${r.path} exists`;
	case 'file_sha256': return `file ${r.path} has SHA-256 ${String(r.sha256).slice(0, 12)}…`;
	case 'file_contains': return `file ${r.path} contains "${r.text}"`;
	case 'deb_installed': return `Debian package ${r.package} installed${v(r)}`;
	case 'rpm_installed': return `RPM package ${r.package} installed${v(r)}`;
	case 'update_installed': return `update ${r.id} installed`;
	default: return JSON.stringify(r);
	}
}

// The terms' text, or an Error to show in its place.
async function licenseText(id) {
	try {
		return (await api.get(`/v1/admin/console/license/${id}`)).text;
	} catch (e) {
		return e;
	}
}

export async function approveDialog(detail, onDone) {
	const u = detail.update;
	const groups = (await api.get('/v1/admin/groups')).groups;
	const own = new Map(detail.approvals.map((a) => [a.group, a]));
	const eff = new Map(detail.effective.map((a) => [a.group, a]));
	const rows = groupTree(groups).map(([g, d]) => {
		const cur = own.get(g.name);
		const sel = h('select', { 'aria-label': `Approval for ${g.name}`, 'data-group': g.name },
			[['', cur ? `Keep (${cur.action})` : 'Inherit'], ['install', 'Approved for install'], ['uninstall', 'Approved for removal'], ['not-approved', 'Not approved'], ...(cur ? [['inherit', 'Inherit from parent']] : [])]
				.map(([v, t]) => h('option', { value: v }, t)));
		const e = eff.get(g.name);
		return { g, sel, row: h('tr', null,
			h('td', { class: 'tree', style: { paddingLeft: `${0.5 + d * 1.25}rem` } }, g.name),
			h('td', null, sel),
			h('td', { class: 'muted small' }, e ? `${e.action}${e.from && e.from !== g.name ? ` (from ${e.from})` : ''}` : '')) };
	});
	const deadline = h('input', { type: 'datetime-local', name: 'deadline' });
	const children = h('input', { type: 'checkbox', name: 'children' });
	const accept = h('input', { type: 'checkbox', name: 'accept', id: 'accept-license' });
	const prereq = h('input', { type: 'checkbox', name: 'prereq' });
	const eula = u.eula;
	const lic = eula ? await licenseText(u.id) : null;
	const body = h('div', { class: 'form approve' },
		h('table', { class: 'grid compact' }, h('thead', null, h('tr', null, h('th', null, 'Group'), h('th', null, 'Approval'), h('th', null, 'Now'))), h('tbody', null, rows.map((r) => r.row))),
		h('div', { class: 'row' },
			field('Deadline (UTC, optional)', deadline),
			h('label', { class: 'check' }, children, ' Apply to child groups'),
			h('label', { class: 'check' }, prereq, ' Also approve prerequisites')),
		eula ? h('section', { class: 'license' }, h('h3', null, `License terms: ${eula.name}`),
			lic instanceof Error ? h('p', { class: 'error' }, `The terms cannot be shown: ${lic.message}`) : h('pre', { class: 'license-text', tabindex: '0' }, lic),
			detail.license ? h('p', { class: 'muted small' }, `Accepted by ${detail.license.accepted_by} on ${fmtTime(detail.license.accepted_at)}.`) : null,
			h('label', { class: 'check' }, accept, ' I accept the license terms')) : null);
	dialog(`Approve: ${u.title}`, body, [
		{ text: 'Cancel' },
		{
			text: 'OK', primary: true, onclick: async () => {
				const changes = new Map();
				for (const r of rows) if (r.sel.value) {
					changes.set(r.g.name, r.sel.value);
					if (children.checked) for (const c of descendants(groups, r.g.name)) changes.set(c, r.sel.value);
				}
				if (changes.size === 0) throw new Error('Choose an approval for at least one group.');
				const installs = [...changes.values()].includes('install');
				if (eula && installs && !accept.checked && !detail.license) throw new Error('Accept the license terms to approve this update for installation.');
				const dl = deadline.value ? new Date(deadline.value + 'Z').toISOString().replace(/\.\d+Z$/, 'Z') : null;
				for (const [group, action] of changes) {
					await api.post('/v1/admin/approvals', { update: u.id, group, action, deadline: action === 'install' || action === 'uninstall' ? dl : null, accept_license: accept.checked, with_prerequisites: prereq.checked });
				}
				toast(`Approvals saved for ${changes.size} group(s)`, 'good');
				onDone();
			},
		}]);
}

function kv(pairs) {
	return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v != null && v !== '' && !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function relList(list, empty) {
	if (!list || list.length === 0) return h('p', { class: 'muted' }, empty);
	return h('ul', { class: 'plain' }, list.map((x) => h('li', null, x.known ? link(`#/updates/${x.id}`, x.title || x.id) : h('span', null, x.title || x.id, ' ', h('span', { class: 'muted small' }, '(not on this server)')))));
}

const STATES = [['', 'Any state'], ['installed', 'Installed'], ['installed-pending-reboot', 'Installed, reboot pending'], ['needed', 'Needed'], ['downloaded', 'Downloaded'], ['failed', 'Failed'], ['not-applicable', 'Not applicable'], ['no-status', 'No status']];

// The update's computers, a page at a time, with a state filter.
function computersCard(id, first) {
	const body = h('div');
	const state = select('state', STATES, '', { 'aria-label': 'State' });
	const cpath = `/v1/admin/console/updates/${encodeURIComponent(id)}/computers`;
	async function show(offset) {
		const rep = offset === 0 && !state.value ? first : await api.get(cpath + api.qs({ state: state.value, offset, limit: 50 }));
		body.replaceChildren(...[table([
			{ title: 'Computer', get: (c) => link(`#/computers/${c.id}`, c.hostname) }, { title: 'Group', get: (c) => c.group },
			{ title: 'State', get: (c) => badge(c.state, c.state) }, { title: 'Detail', class: 'detail', get: (c) => c.detail || '' },
			{ title: 'Reported', get: (c) => ago(c.reported) },
		], rep.computers, { empty: 'No computers.' }), rep.total > rep.limit ? pager(rep.total, rep.offset, rep.limit, show) : null].filter(Boolean));
	}
	state.addEventListener('change', () => show(0));
	async function csv() {
		const rows = [];
		for (let off = 0; ; off += 500) {
			const r = await api.get(cpath + api.qs({ state: state.value, offset: off, limit: 500 }));
			rows.push(...r.computers);
			if (off + 500 >= r.total) break;
		}
		downloadCsv(`update-${id}.csv`, ['computer', 'hostname', 'group', 'server', 'state', 'detail', 'reported'], rows.map((c) => [c.id, c.hostname, c.group, c.server || '', c.state, c.detail || '', c.reported || '']));
	}
	show(0);
	return h('section', { class: 'card wide', id: 'computer-states' }, h('div', { class: 'card-head' }, h('h2', null, 'Computers'),
		h('span', { class: 'actions' }, state, h('button', { type: 'button', onclick: csv }, 'Export CSV'))), body);
}

export async function render(main, parts) {
	const id = parts[0];
	const [d, rep] = await Promise.all([api.get(`/v1/admin/updates/${encodeURIComponent(id)}`), api.get(`/v1/admin/console/updates/${encodeURIComponent(id)}/computers?limit=50`)]);
	const u = d.update;
	const reload = () => render(main, parts);
	const files = (await api.get('/v1/admin/console/updates' + api.qs({ search: u.id, declined: 1, limit: 1 }))).updates[0];
	const t = rep.totals;
	const cves = u.cve_ids || [];
	const actions = api.isAdmin() ? h('div', { class: 'actions' },
		h('button', { type: 'button', class: 'primary', id: 'approve', disabled: d.declined || d.expired, onclick: () => approveDialog(d, reload) }, 'Approve…'),
		h('button', { type: 'button', id: 'decline', onclick: async () => { await api.post(`/v1/admin/updates/${u.id}/decline`, { declined: !d.declined }); toast(d.declined ? 'Undeclined' : 'Declined', 'good'); reload(); } }, d.declined ? 'Undecline' : 'Decline')) : null;
	const inst = u.install || {};
	fill(main,
		h('p', { class: 'crumbs' }, link('#/updates', 'Updates'), ' › '),
		h('div', { class: 'page-head' }, h('h1', null, u.title),
			h('span', null, badge(u.classification), u.severity ? badge(u.severity, `sev-${u.severity}`) : null, d.declined ? badge('declined') : null, d.expired ? badge('expired') : null)),
		actions,
		h('div', { class: 'cards' },
			h('section', { class: 'card wide' }, h('h2', null, 'Details'), u.description ? h('p', { class: 'desc' }, u.description) : null, kv([
				['Update id', h('code', null, u.id)], ['Revision', u.revision], ['Product', u.product], ['Classification', u.classification],
				['Severity', u.severity], ['KB article', u.kb_article], ['Security bulletin', u.security_bulletin], ['Release date', u.release_date],
				['CVEs', cves.length ? h('span', { class: 'cves' }, cves.map((c) => link(`https://www.cve.org/CVERecord?id=${encodeURIComponent(c)}`, c, { target: '_blank', rel: 'noopener noreferrer' }))) : null],
				['Support', u.support_url ? link(u.support_url, u.support_url, { target: '_blank', rel: 'noopener noreferrer' }) : null],
				['Installer', [inst.handler, (inst.arguments || []).join(' ')].filter(Boolean).join(': ')],
				['Uninstall', (inst.uninstall_arguments || []).join(' ')],
				['Reboot', inst.reboot], ['License terms', u.eula ? `${u.eula.name}${d.license ? ` (accepted by ${d.license.accepted_by})` : ' (not accepted yet)'}` : null],
			])),
			h('section', { class: 'card', id: 'update-status' }, h('h2', null, 'Status on computers'), donut([
				{ label: 'Installed', value: t.installed + t.installed_pending_reboot, color: COLORS.installed },
				{ label: 'Needed', value: t.needed + t.downloaded, color: COLORS.needed },
				{ label: 'Failed', value: t.failed, color: COLORS.failed },
				{ label: 'Not applicable', value: t.not_applicable, color: COLORS.not_applicable },
				{ label: 'No status', value: t.no_status, color: COLORS.no_status },
			])),
			h('section', { class: 'card' }, h('h2', null, 'Supersedence'), h('h3', null, 'Supersedes'), relList(d.supersedes, 'Nothing.'), h('h3', null, 'Superseded by'), relList(d.superseded_by, 'Nothing.')),
			h('section', { class: 'card' }, h('h2', null, 'Prerequisites and bundles'), h('h3', null, 'Prerequisites'), relList(d.prerequisites, 'None.'), h('h3', null, 'Bundles'), relList(d.bundles, 'None.')),
			h('section', { class: 'card wide' }, h('h2', null, 'Applicability rules'), kv([
				['Installed when', h('code', null, ruleText(u.applicability && u.applicability.is_installed))],
				['Installable when', h('code', null, ruleText(u.applicability && u.applicability.is_installable))],
			])),
			h('section', { class: 'card wide' }, h('h2', null, 'Files'), table([
				{ title: 'Name', get: (f) => f.name }, { title: 'Size', class: 'num', get: (f) => `${(f.size / 1024).toFixed(1)} KiB` },
				{ title: 'SHA-256', get: (f) => h('code', { class: 'hash' }, f.sha256) },
				{ title: 'Stored', get: (f) => (f.present ? link(`/content/${f.sha256}`, 'in the content store') : h('span', { class: 'muted' }, 'not stored here (agents use the upstream URL)')) },
			], (files && files.files) || [], { empty: 'No files.' })),
			h('section', { class: 'card wide', id: 'group-approvals' }, h('h2', null, 'Approvals by group'), table([
				{ title: 'Group', get: (e) => e.group }, { title: 'Effective', get: (e) => badge(e.action, e.action) },
				{ title: 'Decided by', get: (e) => (e.from ? (e.from === e.group ? 'its own setting' : `inherited from ${e.from}`) : '—') },
				{ title: 'Deadline', get: (e) => fmtTime(e.deadline) },
				{ title: 'Approved by', get: (e) => { const a = d.approvals.find((x) => x.group === e.group); return a ? `${a.approved_by}, ${fmtTime(a.approved_at)}` : ''; } },
			], d.effective)),
			computersCard(u.id, rep)));
}
