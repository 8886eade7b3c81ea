/*
 * Accessibility and validity of everything mailout writes as HTML, in
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core).
 *
 * Two repositories: the browser fixture (the example content with sends,
 * failures, an interrupted campaign on a shared account; fixture.js) and a
 * small one from tests/bench/gen_repo.py.  For each, `mailout build` writes
 * the site; every page kind (the list, a department, every campaign page and
 * its preview, the accounts page, the unsubscribe page with and without a
 * token) is checked by axe-core at 1280 and 390 px wide (zero serious or
 * critical violations) and by html-validate (html-validate:recommended, zero
 * errors).  Every message of the example (`mailout preview CAMPAIGN
 * --recipient ID --format html` for each recipient of each campaign) is
 * checked the same way, with no-inline-style and no-deprecated-attr off:
 * e-mail HTML needs inline styles and a few legacy attributes.  The
 * generated repository is in German (organization.language: de).
 *
 * Then what the pages say: the exact commands of "What to do next", the
 * critical notification behind an interrupted campaign (recorded by another
 * campaign on the shared account) on its page and in its index row, local
 * times only, an account's reason spoken once, the footer's reason per
 * recipient type, the unsubscribe link's tap target, the scroll cue of wide
 * tables on a phone, and masking of percent-encoded and encoded-word
 * addresses in a server's reply.
 * Closing line: "a11y: N passed, M failed".
 *
 *   node tests/browser/a11y.test.js     (MAILOUT=path/to/mailout; KEEP=1 keeps the repositories)
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const { HtmlValidate } = require('html-validate');
const fixture = require('./fixture');

const { CHROMIUM, ARGS, assert, assertEqual, check, run: runChecks } = require('./harness');
const TOKEN = 'v1.AbC-_9.december-update-dach.c-1002.' + 'q'.repeat(20) + 'Z-_0123456789abcdefghij';
const SECRET = 'a11y-test-secret-0123456789abcdef';
const WIDTHS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const pagesValidator = new HtmlValidate({
	extends: ['html-validate:recommended'],
});
const messagesValidator = new HtmlValidate({
	extends: ['html-validate:recommended'],
	rules: { 'no-inline-style': 'off', 'no-deprecated-attr': 'off' },
});

function mailout() {
	return process.env.MAILOUT || path.join(fixture.SRC, 'mailout');
}

function run(root, args) {
	const env = Object.assign({}, process.env, { MAILOUT_NOW: fixture.NOW, MAILOUT_SECRET: SECRET });
	return execFileSync(mailout(), ['--repo', root, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/* A small generated repository (a few owners, departments and campaigns),
 * its pages and messages in German. */
function generatedRepo() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailout-a11y-'));
	const root = path.join(dir, 'repo');
	execFileSync('python3', [path.join(fixture.SRC, 'tests', 'bench', 'gen_repo.py'),
		'--recipients', '300', '--campaigns', '8', '--owners', '4', '--per-file', '150',
		'--out', root], { stdio: ['ignore', 'ignore', 'inherit'] });
	const config = path.join(root, 'mailout.yaml');
	fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/^organization:\n/m, 'organization:\n  language: de\n'));
	return { dir, root };
}

/* A failure whose reply holds the address percent-encoded, Q-encoded and
 * B-encoded (as servers and gateways write them). */
const ENCODED_REPLY = 'Recipient rejected: https://mx.example.net/r?rcpt=matthias.huber%40example.net; ' +
	'=?utf-8?q?Unzustellbar=3A_matthias.huber=40example.net?= =?UTF-8?B?KG1hdHRoaWFzLmh1YmVyQGV4YW1wbGUubmV0KQ==?=';
function addEncodedFailure(root) {
	const rel = path.join(root, 'campaigns', 'december-update-dach', 'log', 'alice-news.tsv');
	fs.appendFileSync(rel, [
		['2026-12-03T09:30:00Z', 'claim', 'c-1004', 'matthias.huber@example.net', '<m20@mail.example.com>'],
		['2026-12-03T09:30:03Z', 'failed', 'c-1004', '550', '5.1.1', ENCODED_REPLY],
	].map((l) => l.join('\t') + '\n').join(''));
}

/* Every file of a folder, recursively. */
function filesUnder(dir) {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
		e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

/* The site's pages by kind: [kind, path under build/site, fragment]. */
function pageKinds(site) {
	const campaigns = fs.readdirSync(path.join(site, 'campaigns')).sort();
	const departments = fs.readdirSync(path.join(site, 'departments')).sort();
	const kinds = [['list', 'index.html', ''], ['department', `departments/${departments[0]}/index.html`, ''],
		['accounts', 'accounts/index.html', ''], ['unsubscribe', 'unsubscribe/index.html', ''],
		['unsubscribe with a token', 'unsubscribe/index.html', '#' + TOKEN]];
	for (const c of campaigns) {
		kinds.push(['campaign', `campaigns/${c}/index.html`, '']);
		kinds.push(['preview', `campaigns/${c}/preview.html`, '']);
	}
	return kinds;
}

function describeAxe(violations) {
	return violations.map((v) => `${v.id} (${v.impact}): ` +
		v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')).join('; ');
}

async function axeViolations(page) {
	await page.evaluate(AXE);
	const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
	return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function describeValidation(report) {
	const lines = [];
	for (const r of report.results)
		for (const m of r.messages)
			lines.push(`${r.filePath}:${m.line}:${m.column}: ${m.ruleId}: ${m.message}`);
	return lines.slice(0, 12).join('\n  ');
}

async function validate(validator, html, name) {
	const report = await validator.validateString(html, name);
	return report.errorCount === 0 ? '' : describeValidation(report);
}

/* axe at both widths and html-validate over every page kind of a site. */
async function checkSite(browser, label, site) {
	const kinds = pageKinds(site);
	for (const viewport of WIDTHS) {
		await check(`${label}: axe-core at ${viewport.width} px, every page kind (${kinds.length} pages)`, async () => {
			const ctx = await browser.newContext({ viewport, isMobile: viewport.width < 600 });
			const page = await ctx.newPage();
			const bad = [];
			for (const [kind, rel, hash] of kinds) {
				await page.goto('file://' + path.join(site, rel) + hash);
				const v = await axeViolations(page);
				if (v.length)
					bad.push(`${kind} ${rel}${hash ? ' (token)' : ''}: ${describeAxe(v)}`);
			}
			await ctx.close();
			assertEqual(bad, [], 'serious or critical violations');
		});
	}
	await check(`${label}: html-validate, every page (${kinds.length - 1} files)`, async () => {
		const bad = [];
		for (const [kind, rel, hash] of kinds) {
			if (hash)
				continue;
			const text = fs.readFileSync(path.join(site, rel), 'utf8');
			/* the preview is the message itself, framed */
			const errors = await validate(kind === 'preview' ? messagesValidator : pagesValidator, text, rel);
			if (errors)
				bad.push(errors);
		}
		assertEqual(bad, [], 'html-validate errors');
	});
}

/* Every recipient of every campaign of a repository: [campaign, recipient]. */
function messages(root) {
	const list = [];
	for (const c of fs.readdirSync(path.join(root, 'campaigns')).sort()) {
		const csv = run(root, ['export', c]).trim().split('\n').slice(1);
		for (const line of csv)
			list.push([c, line.split(',')[0]]);
	}
	return list;
}

/* The accessible text of the element matching selector, as Playwright's
 * aria snapshot has it (aria-hidden parts and title attributes left out). */
async function spoken(page, selector) {
	return page.locator(selector).first().ariaSnapshot();
}

function occurrences(text, needle) {
	return text.split(needle).length - 1;
}

async function checkGuidance(browser, site) {
	const ctx = await browser.newContext({ viewport: WIDTHS[0] });
	const page = await ctx.newPage();
	const open = (rel) => page.goto('file://' + path.join(site, rel));
	const commands = () => page.$$eval('#next pre.command', (ps) => ps.map((p) => p.textContent));

	await check('"What to do next" names the exact command with the campaign id', async () => {
		await open('campaigns/americas-companies/index.html');
		assertEqual(await commands(), ['mailout resume americas-companies'], 'interrupted');
		assert(/A critical error on account dana-main stopped the sending/.test(await page.textContent('#next')), 'names the account');
		await open('campaigns/product-launch-leads/index.html');
		assertEqual(await commands(), ['mailout resume product-launch-leads'], 'interrupted through a shared account');
		await open('campaigns/december-update-vip/index.html');
		assertEqual(await commands(), ['mailout resume december-update-vip'], 'paused');
		await open('campaigns/december-update-dach/index.html');
		assertEqual(await commands(), ['mailout retry december-update-dach',
			'mailout confirm'], 'failed, and unconfirmed on an account with imap:');
		await open('campaigns/mexico-contacts/index.html');
		assertEqual(await commands(), [], 'done');
	});

	const critical = '2026-12-03 15:00 CET dana-main · co-2010 (recorded by campaign americas-companies)' +
		'critical error, account stopped until resume: 535 5.7.8 Authentication credentials invalid for d•••@example.net';
	await check('an interrupted campaign shows the critical notification of the shared account, on its page and in its index row', async () => {
		await open('campaigns/product-launch-leads/index.html');
		assertEqual(await page.$$eval('#notifications .note.critical', (n) => n.map((x) => x.textContent)),
			['Interrupted by ' + critical], 'campaign page');
		assertEqual(await page.$$eval('#notifications p.muted', (n) => n.map((x) => x.textContent)),
			['This campaign recorded no error itself.'], 'no "No errors recorded"');
		await open('campaigns/americas-companies/index.html');
		assertEqual(await page.$$eval('#notifications .note.critical', (n) => n.map((x) => x.textContent)),
			['Interrupted by ' + critical.replace(' (recorded by campaign americas-companies)', '')],
			'the campaign that recorded it does not name itself');
		await open('index.html');
		assertEqual(await page.$$eval('#campaigns tr[data-id="americas-companies"] td.notes', (n) => n.map((x) => x.textContent)),
			['Interrupted by ' + critical.replace(' (recorded by campaign americas-companies)', '')],
			'index row of the campaign that recorded it: once');
		assertEqual(await page.$$eval('#campaigns tr[data-id="product-launch-leads"] td.notes', (n) => n.map((x) => x.textContent)),
			['Interrupted by ' + critical], 'index row');
		assertEqual(await page.$$eval('#campaigns tr[data-id="mexico-contacts"] td.notes', (n) => n.map((x) => x.textContent)),
			['none'], 'a done campaign on the same account');
	});

	await check("an account's reason is spoken once, in local time", async () => {
		const reason = 'critical error at 2026-12-03 15:00 CET: Authentication credentials invalid for d•••@example.net';
		await open('campaigns/product-launch-leads/index.html');
		const row = await spoken(page, '#account-breakdown tr[data-account="dana-main"] td');
		assertEqual(occurrences(row, reason), 1, `campaign page: ${row}`);
		assertEqual(occurrences(row, 'not usable'), 1, `campaign page: ${row}`);
		await open('accounts/index.html');
		const state = await spoken(page, '#accounts tr[data-id="dana-main"] td[data-label="State"]');
		assertEqual(occurrences(state, reason), 1, `accounts page: ${state}`);
		assertEqual(occurrences(state, 'not usable'), 1, `accounts page: ${state}`);
		assertEqual(await page.getAttribute('#accounts tr[data-id="dana-main"] .star', 'title'),
			`dana-main: ${reason} (until 'mailout resume')`, 'the star tells it on hover');
	});

	await check('a percent-encoded or encoded-word address in a reply is masked', async () => {
		await open('campaigns/december-update-dach/index.html');
		const row = await page.$$eval('#failed-list tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((c) => c.textContent))
			.filter((cells) => cells[0] === 'c-1004'));
		assertEqual(row.map((r) => r.slice(0, 4)), [['c-1004', 'm•••@example.net', 'alice-news',
			'550 5.1.1 Recipient rejected: https://mx.example.net/r?rcpt=m•••@example.net; ' +
			'Unzustellbar: m•••@example.net(m•••@example.net)']], 'failed row');
		const leaks = filesUnder(site).filter((f) => /matthias\.huber|bWF0dGhpYXMuaHViZXJ/.test(fs.readFileSync(f, 'latin1')));
		assertEqual(leaks.map((f) => path.relative(site, f)), [], 'files holding the address');
	});
	await ctx.close();
}

/* Local times only, and lang, on every page of both sites. */
async function checkSiteWords(browser, site, german) {
	await check('every page says its language and shows times only in the organisation\'s zone', async () => {
		const ctx = await browser.newContext({ viewport: WIDTHS[0] });
		const page = await ctx.newPage();
		const bad = [];
		for (const [dir, lang] of [[site, 'en'], [german, 'de']]) {
			for (const [, rel, hash] of pageKinds(dir)) {
				await page.goto('file://' + path.join(dir, rel) + hash);
				const [l, text] = await page.evaluate(() => [document.documentElement.lang,
					document.body.innerText + ' ' + Array.from(document.querySelectorAll('[title]')).map((e) => e.title).join(' ')]);
				if (l !== lang)
					bad.push(`${rel}: lang "${l}"`);
				const utc = /\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z/.exec(text);
				if (utc)
					bad.push(`${rel}: ${utc[0]}`);
			}
		}
		await ctx.close();
		assertEqual(bad, [], 'pages');
	});

	await check('wide tables on a phone scroll sideways behind a shadow cue', async () => {
		const ctx = await browser.newContext({ viewport: WIDTHS[1], isMobile: true });
		const page = await ctx.newPage();
		await page.goto('file://' + path.join(site, 'campaigns/december-update-dach/index.html'));
		const wraps = await page.$$eval('.table-wrap', (ws) => ws.filter((w) => w.scrollWidth > w.clientWidth).map((w) => {
			const cs = getComputedStyle(w);
			return [w.querySelector('table').id, cs.backgroundAttachment, (cs.backgroundImage.match(/gradient\(/g) || []).length];
		}));
		assert(wraps.some((w) => w[0] === 'account-breakdown'), `overflowing: ${JSON.stringify(wraps)}`);
		for (const w of wraps)
			assertEqual(w.slice(1), ['local, local, scroll, scroll, scroll', 4], `${w[0]}: covers and shadows`);
		await ctx.close();
	});
}

async function checkFooters(browser, html) {
	const footer = (name) => /<p class="mailout-footer"[^>]*>([^<]*)<br>/.exec(html.get(name))[1];

	await check("the footer's reason fits the recipient type", async () => {
		assertEqual(footer('december-update-dach/c-1001'),
			'You receive this because you are a contact of Alice Adams at Example GmbH.', 'contacts');
		assertEqual(footer('evil-news/co-2005'),
			'You receive this because your company is a customer of Example GmbH (your contact: Bruno Köhler).', 'companies');
		assertEqual(footer('product-launch-leads/l-3009'),
			'You receive this because you asked Dana Diaz at Example GmbH about our products.', 'leads');
	});

	await check('the unsubscribe link is a tap target at least 44 px high on a phone', async () => {
		const ctx = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
		const page = await ctx.newPage();
		const heights = [];
		for (const name of ['december-update-dach/c-1001', 'evil-news/co-2005', 'product-launch-leads/l-3009']) {
			await page.setContent(html.get(name));
			const box = await page.locator('.mailout-footer a').boundingBox();
			heights.push(box.height >= 44 && box.width >= 44);
		}
		await ctx.close();
		assertEqual(heights, [true, true, true], 'at least 44 px');
	});
}

async function main() {
	const root = fixture.makeRepo();
	addEncodedFailure(root);
	const built = fixture.build(root);
	const gen = generatedRepo();
	run(gen.root, ['build']);
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });

	await checkSite(browser, 'example', built.site);
	await checkSite(browser, 'generated', path.join(gen.root, 'build', 'site'));

	const list = messages(root);
	const html = new Map(list.map(([c, r]) => [`${c}/${r}`,
		run(root, ['preview', c, '--recipient', r, '--format', 'html'])]));

	await check(`every message of the example (${list.length}) names its language`, async () => {
		const language = /^\s*language:\s*(\S+)/m.exec(fs.readFileSync(path.join(root, 'mailout.yaml'), 'utf8'))[1];
		const bad = [...html].filter(([, text]) => !text.includes(`<html lang="${language}">`)).map(([k]) => k);
		assertEqual(bad, [], 'messages without lang');
	});

	await check(`html-validate, every message of the example (${list.length})`, async () => {
		const bad = [];
		for (const [name, text] of html) {
			const errors = await validate(messagesValidator, text, name + '.html');
			if (errors)
				bad.push(errors);
		}
		assertEqual(bad, [], 'html-validate errors');
	});

	for (const viewport of WIDTHS) {
		await check(`axe-core at ${viewport.width} px, every message of the example (${list.length})`, async () => {
			const ctx = await browser.newContext({ viewport, isMobile: viewport.width < 600 });
			const page = await ctx.newPage();
			const bad = [];
			for (const [name, text] of html) {
				await page.setContent(text);
				const v = await axeViolations(page);
				if (v.length)
					bad.push(`${name}: ${describeAxe(v)}`);
			}
			await ctx.close();
			assertEqual(bad, [], 'serious or critical violations');
		});
	}

	await checkGuidance(browser, built.site);
	await checkSiteWords(browser, built.site, path.join(gen.root, 'build', 'site'));
	await checkFooters(browser, html);

	await browser.close();
	if (process.env.KEEP) {
		console.log(`kept ${root} and ${gen.root}`);
	} else {
		fs.rmSync(root, { recursive: true, force: true });
		fs.rmSync(gen.dir, { recursive: true, force: true });
	}
}

runChecks('a11y', main);
