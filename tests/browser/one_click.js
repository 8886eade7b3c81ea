/*
 * One-click unsubscribe in headless Chromium, end to end with the real
 * parts: the example repository sends through a local SMTP server
 * (tests/tools/fault_smtpd.py), `mailout serve` answers with a real
 * Dovecot (tests/tools/start_dovecot.sh) as the unsubscribe mailbox.
 *
 * The browser opens the footer link of a captured message exactly as it
 * stands (https://status.example.com/unsubscribe/#TOKEN: the built site,
 * answered from build/site) and presses the one-click button; its POST to
 * https://unsub.example.com/u is handed unchanged to `mailout serve` on
 * loopback (the https endpoint the reverse proxy would be).  Then the same
 * with JavaScript off, pasting the code of a second message into the
 * page's field.  Both requests reach the mailbox by IMAP APPEND, and
 * `mailout unsubscribes sync` suppresses both addresses.
 */
'use strict';

const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const fixture = require('./fixture');

const SECRET = 'browser-secret-0123456789-0123456789-abcdef';
const PASSWORD = 'unsub-pass';
const SYNC_NOW = '2026-12-07T10:00:00Z';

function mailout() {
	return process.env.MAILOUT || path.join(fixture.SRC, 'mailout');
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const port = s.address().port;
			s.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* Polls fn until it returns something true (10 s at most). */
async function waitFor(fn, what) {
	for (let i = 0; i < 100; i++) {
		const v = await fn();
		if (v)
			return v;
		await sleep(100);
	}
	throw new Error(`timed out waiting for ${what}`);
}

function connects(port) {
	return new Promise((resolve) => {
		const c = net.connect(port, '127.0.0.1', () => {
			c.destroy();
			resolve(true);
		});
		c.on('error', () => resolve(false));
	});
}

/* Starts a server process, its output in LOG. */
function start(children, log, cmd, args, env) {
	const out = fs.openSync(log, 'a');
	const child = spawn(cmd, args, { env, stdio: ['ignore', out, out] });
	fs.closeSync(out);
	children.push(child);
	return child;
}

function copyExample(root) {
	for (const entry of ['mailout.yaml', 'recipients', 'templates', 'campaigns', 'site'])
		fs.cpSync(path.join(fixture.SRC, entry), path.join(root, entry), { recursive: true });
	for (const c of fs.readdirSync(path.join(root, 'campaigns')))
		fs.rmSync(path.join(root, 'campaigns', c, 'log'), { recursive: true, force: true });
}

/* The footer link, the recipient's address and the campaign of a message. */
function messageFacts(file) {
	const code = 'import email, email.policy, json, re, sys\n' +
		'm = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)\n' +
		'text = m.get_body(("plain",)).get_content()\n' +
		'link = re.search(r"^Unsubscribe: (\\S+)", text, re.M).group(1)\n' +
		'print(json.dumps({"link": link, "to": m["To"].addresses[0].addr_spec, ' +
		'"campaign": m["X-Mailout-Campaign"], "recipient": m["X-Mailout-Recipient"]}))\n';
	return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' }));
}

function mailbox(imapDir) {
	const box = path.join(imapDir, 'server', 'home', 'unsub', 'Maildir');
	return ['new', 'cur'].flatMap((d) => {
		const dir = path.join(box, d);
		return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) : [];
	});
}

/* The status site from build/site and the endpoint from serve, for the
 * browser at their public https addresses. */
async function routes(ctx, site, httpPort) {
	await ctx.route('https://status.example.com/**', (route) => {
		let rel = decodeURIComponent(new URL(route.request().url()).pathname);
		if (rel.endsWith('/'))
			rel += 'index.html';
		const file = path.join(site, rel);
		if (!file.startsWith(site + path.sep) || !fs.existsSync(file))
			return route.fulfill({ status: 404, body: 'not found' });
		return route.fulfill({ path: file });
	});
	await ctx.route('https://unsub.example.com/**', async (route) => {
		const u = new URL(route.request().url());
		const response = await route.fetch({ url: `http://127.0.0.1:${httpPort}${u.pathname}${u.search}` });
		await route.fulfill({ response });
	});
}

/* Opens the page in a new context, presses the button, returns the page. */
async function unsubscribe(browser, options, site, httpPort, link, act) {
	const ctx = await browser.newContext(options);
	await routes(ctx, site, httpPort);
	const page = await ctx.newPage();
	await page.goto(link);
	await act(page);
	return { ctx, page };
}

async function run(browser, { assert, assertEqual }) {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailout-oneclick-'));
	const children = [];
	try {
		fs.chmodSync(root, 0o755); /* Dovecot runs as nobody under root */
		copyExample(root);
		const imapDir = path.join(root, 'imap');
		fs.mkdirSync(imapDir, { mode: 0o755 });
		const imapPort = await freePort();
		start(children, path.join(root, 'imap.log'), 'sh',
			[path.join(fixture.SRC, 'tests/tools/start_dovecot.sh'), path.join(imapDir, 'server'), String(imapPort),
				`unsub:${PASSWORD}`], process.env);
		const sent = path.join(root, 'sent');
		const smtpLog = path.join(root, 'smtp.log');
		start(children, smtpLog, '/usr/bin/python3', [path.join(fixture.SRC, 'tests/tools/fault_smtpd.py'),
			'--port', '0', '--spool', sent, '--quiet'], process.env);
		const smtpPort = await waitFor(() => {
			const m = /READY (\d+)/.exec(fs.existsSync(smtpLog) ? fs.readFileSync(smtpLog, 'utf8') : '');
			return m && m[1];
		}, 'the SMTP server');
		await waitFor(() => connects(imapPort), 'Dovecot');

		const configFile = path.join(root, 'mailout.yaml');
		const config = fs.readFileSync(configFile, 'utf8')
			.replace('mailbox: imaps://imap.example.com/INBOX', `mailbox: imap://127.0.0.1:${imapPort}/INBOX`)
			.replace(/^ {2}username: unsubscribe@example\.com/m, '  username: unsub');
		assert(config.includes(`imap://127.0.0.1:${imapPort}/INBOX`), 'the mailbox is configured');
		fs.writeFileSync(configFile, config);
		const env = Object.assign({}, process.env, { MAILOUT_SECRET: SECRET, MAILOUT_UNSUBSCRIBE_PASSWORD: PASSWORD });
		execFileSync(mailout(), ['--repo', root, 'send', '--now', '2026-12-07T08:30', '--for', '10m',
			'--sink', `smtp://127.0.0.1:${smtpPort}`], { env, stdio: 'ignore' });
		const messages = fs.readdirSync(sent).filter((f) => f.endsWith('.eml')).sort()
			.map((f) => messageFacts(path.join(sent, f)));
		const first = messages.find((m) => m.recipient === 'c-1002');
		const second = messages.find((m) => m.recipient !== 'c-1002');
		assert(first && second, `two messages captured: ${JSON.stringify(messages)}`);
		const token = (m) => m.link.replace(/^https:\/\/status\.example\.com\/unsubscribe\/#/, '');
		assert(token(first) !== first.link, `a footer link on the site: ${first.link}`);
		execFileSync(mailout(), ['--repo', root, 'build'], { env: Object.assign({}, env, { MAILOUT_NOW: SYNC_NOW }), stdio: 'ignore' });

		const httpPort = await freePort();
		start(children, path.join(root, 'serve.log'), mailout(), ['serve', '--config', configFile,
			'--listen', `127.0.0.1:${httpPort}`, '--spool', path.join(root, 'spool'), '--rate-limit', '0'], env);
		await waitFor(() => connects(httpPort), 'mailout serve');
		const site = path.join(root, 'build', 'site');

		/* with JavaScript: the page fills the form, one click */
		let r = await unsubscribe(browser, {}, site, httpPort, first.link, async (page) => {
			assert(await page.isVisible('#one-click-button'), 'the one-click button is shown');
			await Promise.all([page.waitForNavigation(), page.click('#one-click-button')]);
		});
		assertEqual(r.page.url(), fixture.ONE_CLICK_URL, 'the confirmation comes from the endpoint');
		assertEqual(await r.page.textContent('#done'), 'You will get no more newsletters from Example GmbH.',
			'serve\'s confirmation');
		await r.ctx.close();
		let box = await waitFor(() => mailbox(imapDir).length === 1 && mailbox(imapDir), 'the first APPEND');
		const subject = (m, t) => m.split(/\r?\n/).includes(`Subject: unsubscribe ${t}`);
		assert(subject(box[0], token(first)), `the APPENDed message: ${box[0]}`);

		/* without JavaScript: the code pasted into the page's field */
		r = await unsubscribe(browser, { javaScriptEnabled: false }, site, httpPort, second.link, async (page) => {
			assert(!await page.isVisible('#token-ok'), 'nothing needs the script');
			assert(await page.isVisible('#one-click-code'), 'the form for the code is shown');
			await page.fill('#code', token(second));
			await Promise.all([page.waitForNavigation(), page.click('#one-click-code button')]);
		});
		assertEqual(await r.page.textContent('#done'), 'You will get no more newsletters from Example GmbH.',
			'serve\'s confirmation without JavaScript');
		await r.ctx.close();
		box = await waitFor(() => mailbox(imapDir).length === 2 && mailbox(imapDir), 'the second APPEND');
		assert(box.some((m) => subject(m, token(second))), 'the second token arrived');

		const out = execFileSync(mailout(), ['--repo', root, 'unsubscribes', 'sync'],
			{ env: Object.assign({}, env, { MAILOUT_NOW: SYNC_NOW }), encoding: 'utf8' });
		const suppressions = fs.readFileSync(path.join(root, 'recipients', 'suppressions.tsv'), 'utf8').split('\n');
		for (const m of [first, second]) {
			assert(out.includes(`: unsubscribed recipient ${m.recipient} of ${m.campaign}\n`), `sync output: ${out}`);
			assert(suppressions.includes(`${m.to.toLowerCase()}\tunsubscribed\t${SYNC_NOW}\t${m.campaign}`),
				`${m.to} is suppressed: ${suppressions.join(' | ')}`);
		}
	} finally {
		for (const c of children)
			c.kill('SIGTERM');
		await Promise.all(children.map((c) => c.exitCode !== null ? null : new Promise((resolve) => c.on('exit', resolve))));
		if (process.env.KEEP)
			console.log(`kept ${root}`);
		else
			fs.rmSync(root, { recursive: true, force: true });
	}
}

module.exports = { run };
