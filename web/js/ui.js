// ui: small DOM helpers. Every text goes in as a text node (never as
// HTML), so nothing an agent or an upstream reports can run in the page.
const SVGNS = 'http://www.w3.org/2000/svg';

export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v == null || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = v;
		else if (k === 'style') Object.assign(el.style, v); // CSSOM: allowed by the CSP
		else if (k in el && typeof v !== 'string') el[k] = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	add(el, kids);
	return el;
}

function add(el, kids) {
	for (const k of kids) {
		if (k == null || k === false) continue;
		if (Array.isArray(k)) add(el, k);
		else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
}

export function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVGNS, tag);
	for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
	for (const k of kids) if (k != null) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	return el;
}

export const link = (href, text, attrs) => h('a', { href, ...(attrs || {}) }, text);

export function fmtTime(t) {
	if (!t) return '—';
	const d = new Date(t);
	if (isNaN(d)) return t;
	return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function ago(t) {
	if (!t) return 'never';
	const sec = (Date.now() - new Date(t).getTime()) / 1000;
	if (sec < 90) return 'just now';
	if (sec < 5400) return `${Math.round(sec / 60)} min ago`;
	if (sec < 129600) return `${Math.round(sec / 3600)} h ago`;
	return `${Math.round(sec / 86400)} days ago`;
}

export const badge = (text, kind) => h('span', { class: `badge ${kind || String(text).replace(/[^a-z_-]/gi, '')}` }, text);

// A table: cols [{title, get(row) -> node|text, class}], rows; opts.select
// adds a checkbox column whose checked rows opts.selected (a Set of keys) holds.
export function table(cols, rows, opts = {}) {
	const head = h('tr', null, opts.select ? h('th', { class: 'sel' }, h('input', {
		type: 'checkbox', 'aria-label': 'Select all',
		onchange: (ev) => {
			for (const r of rows) ev.target.checked ? opts.selected.add(opts.key(r)) : opts.selected.delete(opts.key(r));
			ev.target.closest('table').querySelectorAll('tbody input[type=checkbox]').forEach((c) => (c.checked = ev.target.checked));
			opts.onselect && opts.onselect();
		},
	})) : null, cols.map((c) => h('th', { class: c.class, scope: 'col' }, c.title)));
	const body = rows.length === 0
		? h('tr', null, h('td', { colspan: cols.length + (opts.select ? 1 : 0), class: 'empty' }, opts.empty || 'Nothing to show.'))
		: rows.map((r) => h('tr', null,
			opts.select ? h('td', { class: 'sel' }, h('input', {
				type: 'checkbox', 'aria-label': 'Select', checked: opts.selected.has(opts.key(r)),
				onchange: (ev) => { ev.target.checked ? opts.selected.add(opts.key(r)) : opts.selected.delete(opts.key(r)); opts.onselect && opts.onselect(); },
			})) : null,
			cols.map((c) => h('td', { class: c.class, 'data-label': c.title }, c.get(r)))));
	return h('div', { class: 'table-wrap' }, h('table', { class: 'grid' }, h('thead', null, head), h('tbody', null, body)));
}

export function pager(total, offset, limit, go) {
	const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
	return h('nav', { class: 'pager', 'aria-label': 'Pages' },
		h('button', { type: 'button', disabled: offset === 0, onclick: () => go(0) }, '« First'),
		h('button', { type: 'button', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, '‹ Previous'),
		h('span', { class: 'pageinfo' }, total === 0 ? 'No rows' : `${offset + 1}–${Math.min(total, offset + limit)} of ${total.toLocaleString('en')}`),
		h('button', { type: 'button', disabled: offset + limit >= total, onclick: () => go(offset + limit) }, 'Next ›'),
		h('button', { type: 'button', disabled: offset >= last, onclick: () => go(last) }, 'Last »'));
}

// A donut chart of parts [{label, value, color}] with a legend whose
// entries may be links.
export function donut(parts, center) {
	const total = parts.reduce((a, p) => a + p.value, 0);
	const r = 40, c = 2 * Math.PI * r;
	const svg = s('svg', { viewBox: '0 0 100 100', class: 'donut', role: 'img', 'aria-label': parts.map((p) => `${p.label}: ${p.value}`).join(', ') });
	svg.append(s('circle', { cx: 50, cy: 50, r, fill: 'none', stroke: '#e6e9ef', 'stroke-width': 14 }));
	let off = 0;
	for (const p of parts) {
		if (!p.value) continue;
		const len = (p.value / total) * c;
		svg.append(s('circle', {
			cx: 50, cy: 50, r, fill: 'none', stroke: p.color, 'stroke-width': 14,
			'stroke-dasharray': `${len} ${c - len}`, 'stroke-dashoffset': -off, transform: 'rotate(-90 50 50)',
		}, s('title', null, `${p.label}: ${p.value}`)));
		off += len;
	}
	svg.append(s('text', { x: 50, y: 50, 'text-anchor': 'middle', 'dominant-baseline': 'central', class: 'donut-num' }, String(center ?? total)));
	const legend = h('ul', { class: 'legend' }, parts.map((p) => h('li', null,
		h('span', { class: 'swatch', style: { background: p.color } }),
		p.href ? link(p.href, p.label) : p.label, h('b', null, String(p.value)))));
	return h('div', { class: 'donut-wrap' }, svg, legend);
}

// Horizontal bars [{label, value, color, href}].
export function bars(items) {
	const max = Math.max(1, ...items.map((i) => i.value));
	if (items.length === 0) return h('p', { class: 'muted' }, 'None.');
	return h('ul', { class: 'bars' }, items.map((i) => h('li', null,
		h('span', { class: 'bar-label' }, i.href ? link(i.href, i.label) : i.label),
		h('span', { class: 'bar-track' }, h('span', { class: 'bar', style: { width: `${(100 * i.value) / max}%`, background: i.color || '#3b7dd8' } })),
		h('b', { class: 'bar-num' }, String(i.value)))));
}

let toastTimer;
export function toast(msg, kind) {
	let t = document.getElementById('toast');
	if (!t) {
		t = h('div', { id: 'toast', role: 'status' });
		document.body.append(t);
	}
	t.textContent = msg;
	t.className = `show ${kind || ''}`;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => (t.className = ''), 5000);
}

// A modal dialog (<dialog>): content, buttons [{text, primary, onclick}].
// onclick returning false keeps it open.
export function dialog(title, content, buttons) {
	const d = h('dialog', { class: 'modal', 'aria-label': title });
	const foot = h('div', { class: 'modal-foot' });
	const err = h('p', { class: 'error', role: 'alert', hidden: true });
	for (const b of buttons) {
		foot.append(h('button', {
			type: 'button', class: b.primary ? 'primary' : '', 'data-action': b.text,
			onclick: async () => {
				err.hidden = true;
				try {
					if ((await (b.onclick ? b.onclick() : true)) !== false) d.close();
				} catch (e) {
					err.textContent = e.message;
					err.hidden = false;
				}
			},
		}, b.text));
	}
	d.append(h('h2', null, title), h('div', { class: 'modal-body' }, content), err, foot);
	d.addEventListener('close', () => d.remove());
	document.body.append(d);
	d.showModal();
	return d;
}

export function confirmDialog(title, text, ok) {
	return dialog(title, h('p', null, text), [{ text: 'Cancel' }, { text: ok.text || 'OK', primary: true, onclick: ok.run }]);
}

// CSV of rows (arrays of cells), downloaded as name.
export function downloadCsv(name, header, rows) {
	const q = (v) => {
		const t = v == null ? '' : String(v);
		return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
	};
	const text = [header, ...rows].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n';
	const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: name });
	document.body.append(a);
	a.click();
	setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function field(label, input, hint) {
	return h('label', { class: 'field' }, h('span', null, label), input, hint ? h('small', null, hint) : null);
}

export function select(name, options, value, attrs) {
	return h('select', { name, ...(attrs || {}) }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
}

export const COLORS = {
	up_to_date: '#2e9d5b', needed: '#e0a526', failed: '#d1453b', no_status: '#98a2b3', stale: '#7d5fc9',
	installed: '#2e9d5b', not_applicable: '#c5cbd6', downloaded: '#f0c35a', installed_pending_reboot: '#66b588',
};

// Replace el's children with kids, leaving out null/false (a reporter's
// missing buttons).
export function fill(el, ...kids) {
	el.replaceChildren(...kids.flat().filter((k) => k != null && k !== false));
}
