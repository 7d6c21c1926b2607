// The web console in Debian's chromium (headless) through playwright-core.
// Run by tests/e2e/console_browser.sh, which starts sluiced with a synced
// catalog and a registered agent and passes everything in the environment.
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = process.env;
const URL0 = `${env.SERVER_URL}/console/`;
const shots = env.SCREENSHOTS;
let step = '';
const log = (s) => { step = s; console.log(`# ${s}`); };
function check(cond, what) { if (!cond) throw new Error(`${step}: ${what}`); }

const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const consoleErrors = [];
async function newPage(viewport) {
	const ctx = await browser.newContext({ viewport: viewport || { width: 1280, height: 800 }, acceptDownloads: true });
	const page = await ctx.newPage();
	page.setDefaultTimeout(10000);
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
	page.on('pageerror', (e) => consoleErrors.push(String(e)));
	return page;
}
async function signIn(page, token) {
	await page.goto(URL0);
	await page.fill('#token', token);
	await page.press('#token', 'Enter');
}
async function shot(page, name, fullPage) {
	await page.evaluate(() => { const t = document.getElementById('toast'); if (t) t.className = ''; });
	await page.waitForTimeout(250); // the toast's fade
	await page.screenshot({ path: `${shots}/${name}.png`, fullPage: !!fullPage });
}

try {
	const page = await newPage();

	log('a wrong token cannot sign in');
	await signIn(page, 'f'.repeat(64));
	await page.waitForSelector('form.signin .error:not([hidden])');
	check((await page.textContent('form.signin .error')).includes('unknown or revoked token'), 'error message');
	await shot(page, 'signin');

	log('sign in; the dashboard shows the synced updates');
	await page.fill('#token', env.ADMIN_TOKEN);
	await page.click('form.signin button[type=submit]');
	await page.waitForSelector('#card-sync');
	const head = await page.textContent('.page-head');
	check(head.includes('5 updates') && head.includes('1 computers'), `dashboard head: ${head}`);
	check((await page.textContent('#card-sync')).includes('success'), 'last sync success');
	check((await page.textContent('#card-needed')).includes('critical'), 'needed by classification');
	const cookies = await page.context().cookies();
	const sess = cookies.find((c) => c.name === 'sluice_session');
	check(sess && sess.httpOnly && sess.sameSite === 'Strict' && sess.expires > Date.now() / 1000, `cookie ${JSON.stringify(sess)}`);
	check(await page.evaluate(() => document.cookie) === '', 'the session cookie is not readable from scripts');

	log('synchronize now shows progress and the result');
	await page.click('#sync-now');
	await page.waitForSelector('#sync-now:not([disabled])');
	await page.waitForSelector('#toast.show');

	log('the updates list: search, filters, paging');
	await page.click('nav.side >> text=Updates');
	await page.waitForSelector('table.grid >> text=OpenSSL 3.0.13 security fix');
	await page.selectOption('select[name=classification]', 'feature');
	await page.waitForFunction(() => location.hash.includes('classification=feature'));
	await page.waitForSelector('table.grid >> text=Monitoring agent 2.1');
	check(!(await page.isVisible('text=OpenSSL 3.0.13 security fix')), 'the filter leaves security updates out');
	await page.goto(`${URL0}#/updates?superseded=1`);
	await page.waitForSelector('.page-head >> text=1 matching');
	check(await page.isVisible('table.grid >> text=OpenSSL 3.0.11 fix'), 'the superseded update');
	await page.goto(`${URL0}#/updates`);
	await page.waitForSelector('text=OpenSSL 3.0.13 security fix');
	await shot(page, 'updates');

	log('approve for a group through the dialog, with the license terms');
	await page.click('text=OpenSSL 3.0.13 security fix');
	await page.waitForSelector('#approve');
	const detail = await page.textContent('main');
	check(detail.includes('CVE-2026-10001') && detail.includes('OpenSSL 3.0.11 fix') && detail.includes('OS is sluicetest'), 'metadata, supersedence, rules');
	// Keyboard: the dialog opens with Enter on the button and closes with Escape.
	await page.focus('#approve');
	await page.keyboard.press('Enter');
	await page.waitForSelector('dialog.modal[open]');
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog.modal', { state: 'detached' });
	await page.click('#approve');
	await page.waitForSelector('dialog.modal select[data-group="web"]');
	check((await page.textContent('pre.license-text')).includes('any number of computers'), 'license text in the dialog');
	await page.selectOption('dialog.modal select[data-group="web"]', 'install');
	await shot(page, 'approve-dialog');
	await page.click('dialog.modal button[data-action=OK]');
	await page.waitForSelector('dialog.modal .error:not([hidden])');
	check((await page.textContent('dialog.modal .error')).includes('Accept the license terms'), 'license acceptance required');
	await page.check('#accept-license');
	await page.click('dialog.modal button[data-action=OK]');
	await page.waitForSelector('dialog.modal', { state: 'detached' });
	await page.waitForSelector('#group-approvals >> text=its own setting');

	log('a real sluice-agent installs it');
	// It fails on the broken update (exit status 1) and installs the approved one.
	spawnSync(env.AGENT, ['install', '--config', env.ACONF], { stdio: 'ignore' });

	log('the update page and the dashboard show it installed');
	await page.reload();
	await page.waitForSelector('#computer-states .badge.installed');
	check((await page.textContent('#update-status')).match(/Installed\s*1/), 'installed count 1');
	check(!/\bnull\b/.test(await page.textContent('main')), 'no "null" on the page');
	await shot(page, 'update', true);
	await page.click('nav.side >> text=Dashboard');
	await page.waitForSelector('#card-installs >> text=OpenSSL 3.0.13 security fix');
	check((await page.textContent('#card-failures')).includes('exit code 3'), 'the failed install with its detail');
	await shot(page, 'dashboard');

	log('computers, a computer, groups');
	await page.click('nav.side >> text=Computers');
	await page.waitForSelector('ul.tree >> text=web');
	await page.click('ul.tree >> text=web');
	await page.waitForSelector('table.grid td.title a');
	await shot(page, 'computers');
	await page.click('table.grid td.title a');
	await page.waitForSelector('#computer-history .badge.success');
	check((await page.textContent('#computer-history')).includes('OpenSSL 3.0.13 security fix'), 'the history names the update');
	await page.selectOption('#computer-updates select[name=state]', 'failed');
	await page.waitForFunction(() => document.querySelectorAll('#computer-updates tbody .badge.installed').length === 0);
	check(await page.$('#computer-updates tbody .badge.failed') !== null, 'the failed filter shows the failed update');
	await page.selectOption('#computer-updates select[name=state]', '');
	await page.waitForSelector('#computer-updates tbody .badge.installed');
	await shot(page, 'computer');

	log('reports, rules, sync, audit');
	await page.click('nav.side >> text=Reports');
	await page.waitForSelector('#export-csv');
	const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
	check(dl.suggestedFilename() === 'updates-report.csv', 'csv name');
	await shot(page, 'reports');
	await page.click('nav.side >> text=Audit log');
	await page.waitForSelector('text=license.accept');
	await shot(page, 'audit');

	log('keyboard: the skip link is the first stop and leads to the page');
	await page.goto(`${URL0}#/`);
	await page.reload();
	await page.waitForSelector('#card-sync');
	await page.keyboard.press('Tab');
	check(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'skip link first');
	await page.keyboard.press('Enter');
	check(await page.evaluate(() => document.activeElement.id === 'main'), 'focus on the page');

	log('phone width');
	const phone = await newPage({ width: 390, height: 844 });
	await phone.goto(URL0); // a new context: signed out
	await phone.fill('#token', env.ADMIN_TOKEN);
	await phone.press('#token', 'Enter');
	await phone.waitForSelector('#card-sync');
	await shot(phone, 'dashboard-phone');

	log('a reporter sees everything and can change nothing');
	const rep = await newPage();
	await signIn(rep, env.REPORTER_TOKEN);
	await rep.waitForSelector('#card-sync');
	check(!(await rep.isVisible('#sync-now')), 'no Synchronize now for a reporter');
	await rep.goto(`${URL0}#/updates/${env.U_SEC}`);
	await rep.waitForSelector('#group-approvals');
	check(!(await rep.isVisible('#approve')), 'no Approve button for a reporter');
	check(!/\bnull\b/.test(await rep.textContent('main')), 'no "null" on the page');
	const status = await rep.evaluate(async (id) => {
		const s = await (await fetch('/console/api/session')).json();
		const r = await fetch('/v1/admin/approvals', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: JSON.stringify({ update: id, group: 'web', action: 'install', accept_license: true }) });
		return r.status;
	}, env.U_FEAT);
	check(status === 403, `the API refuses a reporter's approval: ${status}`);

	log('a request without the CSRF token is refused');
	const noCsrf = await page.evaluate(async () => (await fetch('/v1/admin/groups', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' })).status);
	check(noCsrf === 403, `no CSRF token: ${noCsrf}`);

	log('sign out');
	await page.click('header.top button.link');
	await page.waitForSelector('form.signin');

	const bad = consoleErrors.filter((m) => !m.includes('401') && !m.includes('403') && !m.includes('Failed to load resource'));
	check(bad.length === 0, `browser console errors: ${bad.join(' | ')}`);
	console.log('ok: console browser test');
} catch (e) {
	console.error(`FAIL: ${e.message}`);
	console.error(consoleErrors.join('\n'));
	process.exitCode = 1;
} finally {
	await browser.close();
}
