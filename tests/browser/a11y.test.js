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
 * e-mail HTML needs inline styles and a few legacy attributes.
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

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--no-first-run'];
const TOKEN = 'v1.AbC-_9.december-update-dach.c-1002.' + 'q'.repeat(20) + 'Z-_0123456789abcdefghij';
const SECRET = 'a11y-test-secret-0123456789abcdef';
const WIDTHS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const pagesValidator = new HtmlValidate({ extends: ['html-validate:recommended'] });
const messagesValidator = new HtmlValidate({
	extends: ['html-validate:recommended'],
	rules: { 'no-inline-style': 'off', 'no-deprecated-attr': 'off' },
});

let passed = 0, failed = 0;

function assert(cond, message) {
	if (!cond)
		throw new Error(message);
}

function assertEqual(actual, expected, message) {
	const a = JSON.stringify(actual), e = JSON.stringify(expected);
	if (a !== e)
		throw new Error(`${message}: got ${a}, expected ${e}`);
}

async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log(`ok - ${name}`);
	} catch (e) {
		failed++;
		console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 8).join('\n  ')}`);
	}
}

function mailout() {
	return process.env.MAILOUT || path.join(fixture.SRC, 'mailout');
}

function run(root, args) {
	const env = Object.assign({}, process.env, { MAILOUT_NOW: fixture.NOW, MAILOUT_SECRET: SECRET });
	return execFileSync(mailout(), ['--repo', root, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/* A small generated repository: a few owners, departments and campaigns. */
function generatedRepo() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailout-a11y-'));
	const root = path.join(dir, 'repo');
	execFileSync('python3', [path.join(fixture.SRC, 'tests', 'bench', 'gen_repo.py'),
		'--recipients', '400', '--campaigns', '12', '--owners', '4', '--per-file', '200',
		'--out', root], { stdio: ['ignore', 'ignore', 'inherit'] });
	return { dir, root };
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
		for (const [, rel, hash] of kinds) {
			if (hash)
				continue;
			const text = fs.readFileSync(path.join(site, rel), 'utf8');
			const errors = await validate(pagesValidator, text, rel);
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

async function main() {
	const root = fixture.makeRepo();
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

	await browser.close();
	if (process.env.KEEP) {
		console.log(`kept ${root} and ${gen.root}`);
	} else {
		fs.rmSync(root, { recursive: true, force: true });
		fs.rmSync(gen.dir, { recursive: true, force: true });
	}
}

main().catch((e) => {
	failed++;
	console.log(`not ok - the test run stopped: ${e && e.stack || e}`);
}).finally(() => {
	console.log(`a11y: ${passed} passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
});
