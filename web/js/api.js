// api: the admin API from the browser. The session cookie (HttpOnly) goes
// with every request by itself; state-changing requests carry the CSRF
// token the server handed out at sign-in.
let csrf = null;
export let session = null; // {name, role, csrf}

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

async function call(method, path, body) {
	const opt = { method, headers: {}, credentials: 'same-origin' };
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	if (method !== 'GET' && csrf) opt.headers['X-CSRF-Token'] = csrf;
	const r = await fetch(path, opt);
	let data = null;
	try {
		data = await r.json();
	} catch (_) {
		data = null;
	}
	if (!r.ok) {
		const e = (data && data.error) || {};
		throw new ApiError(r.status, e.code || 'error', e.message || `HTTP ${r.status}`);
	}
	return data;
}

export const get = (p) => call('GET', p);
export const post = (p, b) => call('POST', p, b === undefined ? {} : b);
export const put = (p, b) => call('PUT', p, b);
export const del = (p) => call('DELETE', p);

// A query string from an object, leaving out empty members.
export function qs(o) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(o)) if (v !== '' && v != null && v !== false) p.set(k, v);
	const s = p.toString();
	return s ? '?' + s : '';
}

function adopt(s) {
	session = s;
	csrf = s ? s.csrf : null;
	return s;
}

export async function resume() {
	try {
		return adopt(await get('/console/api/session'));
	} catch (e) {
		if (e.status === 401) return adopt(null);
		throw e;
	}
}

export async function signIn(token) {
	return adopt(await call('POST', '/console/api/login', { token }));
}

export async function signOut() {
	await call('POST', '/console/api/logout', {});
	adopt(null);
}

export const isAdmin = () => session && session.role === 'administrator';
