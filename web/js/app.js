// app: the console's shell: sign-in, navigation and the hash router. Each
// view is a module exporting render(main, params, query).
import * as api from './api.js';
import { h, toast } from './ui.js';

const NAV = [
	['#/', 'Dashboard', () => import('./dashboard.js')],
	['#/updates', 'Updates', () => import('./updates.js')],
	['#/computers', 'Computers', () => import('./computers.js')],
	['#/reports', 'Reports', () => import('./reports.js')],
	['#/rules', 'Auto-approval', () => import('./admin.js'), 'rules'],
	['#/sync', 'Synchronization', () => import('./admin.js'), 'sync'],
	['#/downstreams', 'Downstream servers', () => import('./admin.js'), 'downstreams'],
	['#/tokens', 'Tokens', () => import('./admin.js'), 'tokens'],
	['#/audit', 'Audit log', () => import('./admin.js'), 'audit'],
];

const app = document.getElementById('app');
let main;

function signInPage(message) {
	const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true, placeholder: '64 hexadecimal digits', spellcheck: 'false' });
	const err = h('p', { class: 'error', role: 'alert', hidden: !message }, message || '');
	const form = h('form', {
		class: 'signin', onsubmit: async (ev) => {
			ev.preventDefault();
			err.hidden = true;
			try {
				await api.signIn(input.value.trim());
				shell();
			} catch (e) {
				err.textContent = `Sign-in failed: ${e.message}`;
				err.hidden = false;
				input.select();
			}
		},
	},
	h('div', { class: 'brand big' }, h('img', { src: '/console/favicon.svg', alt: '' }), 'Sluice'),
	h('h1', null, 'Sign in to the update console'),
	h('label', { for: 'token' }, 'Administrator or reporter token'),
	input,
	h('small', null, 'The server wrote its first token to DATA/admin.token; more are made with ', h('code', null, 'sluice tokens create'), '.'),
	err,
	h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
	app.replaceChildren(h('main', { class: 'signin-page' }, form));
	input.focus();
}

function shell() {
	const s = api.session;
	const nav = h('nav', { class: 'side', 'aria-label': 'Sections' }, h('ul', null, NAV.map(([href, label]) => h('li', null, h('a', { href, 'data-nav': href }, label)))));
	main = h('main', { id: 'main', tabindex: '-1' });
	const top = h('header', { class: 'top' },
		h('a', { class: 'brand', href: '#/' }, h('img', { src: '/console/favicon.svg', alt: '' }), 'Sluice'),
		h('button', { type: 'button', class: 'menu', 'aria-label': 'Menu', onclick: () => document.body.classList.toggle('nav-open') }, '☰'),
		h('span', { class: 'who' }, s.name, ' ', h('span', { class: `badge role-${s.role}` }, s.role)),
		h('button', { type: 'button', class: 'link', onclick: async () => { await api.signOut(); signInPage('Signed out.'); } }, 'Sign out'));
	app.replaceChildren(h('a', { class: 'skip', href: '#main', onclick: (ev) => { ev.preventDefault(); main.focus(); } }, 'Skip to content'), top, h('div', { class: 'body' }, nav, main));
	document.body.classList.toggle('reporter', s.role !== 'administrator');
	route();
}

export function go(hash) {
	if (location.hash === hash) route();
	else location.hash = hash;
}

async function route() {
	if (!api.session || !main) return;
	document.body.classList.remove('nav-open');
	const raw = location.hash || '#/';
	const [path, q] = raw.split('?');
	const query = new URLSearchParams(q || '');
	const parts = path.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
	let entry = NAV[0];
	for (const n of NAV) if (n[0] !== '#/' && path.startsWith(n[0])) entry = n;
	document.querySelectorAll('nav.side a').forEach((a) => a.classList.toggle('active', a.dataset.nav === entry[0]));
	main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
	try {
		const mod = await entry[2]();
		const view = entry[3] ? mod[entry[3]] : mod.render;
		await view(main, parts.slice(1), query);
		document.title = `${entry[1]} — Sluice`;
	} catch (e) {
		if (e.status === 401) return signInPage(e.message);
		main.replaceChildren(h('div', { class: 'panel error-panel' }, h('h1', null, 'Something went wrong'), h('p', { class: 'error' }, e.message)));
	}
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (ev) => toast(ev.reason && ev.reason.message ? ev.reason.message : String(ev.reason), 'bad'));

(async () => {
	try {
		if (await api.resume()) shell();
		else signInPage();
	} catch (e) {
		signInPage(e.message);
	}
})();
