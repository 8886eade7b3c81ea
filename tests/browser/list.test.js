/*
 * Browser tests of the campaign lists at size: a repository of 520
 * generated campaigns (tests/bench/gen_repo.py), with one campaign
 * interrupted by a critical error and failures with addresses in the
 * replies, so the rows show notifications and red stars.  Checks the
 * static pages without JavaScript, that rows rendered from the list's data
 * are the static pages' rows to the byte, search, filters, paging and the
 * phone's "Sort by" select over the whole list, when the data is loaded,
 * that keyboard focus is always visible, and the pages from disk.
 * `mailout status --json` is the oracle.  Closing line:
 * "list: N passed, M failed".
 *
 *   node tests/browser/list.test.js      (MAILOUT=..., KEEP=1 as site.test.js)
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const fixture = require('./fixture');
const { CHROMIUM, ARGS, foreign, problems, assert, assertEqual, check, serve, watch, run } = require('./harness');

const CAMPAIGNS = 520;
const PAGE_ROWS = 50;
const NOW = '2026-12-03T15:00:00Z';

function mailout(root, ...args) {
	return execFileSync(process.env.MAILOUT || path.join(fixture.SRC, 'mailout'), ['--repo', root, ...args],
		{ env: Object.assign({}, process.env, { MAILOUT_NOW: NOW }), encoding: 'utf8' });
}

/* The generated repository, built once, then given outcomes in two
 * campaigns of later pages and built again. */
function makeRepo() {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailout-list-'));
	execFileSync('python3', [path.join(fixture.SRC, 'tests/bench/gen_repo.py'), '--recipients', '4000',
		'--campaigns', String(CAMPAIGNS), '--out', root], { stdio: 'ignore' });
	mailout(root, 'build');
	const ids = JSON.parse(mailout(root, 'status', '--json')).campaigns.map((c) => c.id);
	const deliveries = (id) => execFileSync('sqlite3', ['-separator', '\t', path.join(root, 'build/plan.db'),
		`SELECT recipient, address, account FROM deliveries WHERE campaign = '${id}' ` +
		"AND account IS NOT NULL AND state = 'pending' ORDER BY ord LIMIT 3"], { encoding: 'utf8' })
		.trim().split('\n').map((l) => l.split('\t'));
	const lines = [];
	/* active campaigns with three deliveries to come, on page 3 and on page 6 */
	const active = new Set(JSON.parse(mailout(root, 'status', '--json')).campaigns
		.filter((c) => c.status === 'active').map((c) => c.id));
	const pick = (from) => ids.slice(from).find((i) => active.has(i) && deliveries(i).length === 3);
	const interrupted = pick(2 * PAGE_ROWS + 5), failing = pick(5 * PAGE_ROWS + 5);
	assert(interrupted && failing, 'the generated campaigns have pending deliveries');
	const d1 = deliveries(interrupted), d2 = deliveries(failing);
	d2.forEach(([id, address, account], i) => {
		lines.push([account, failing, `2026-12-02T0${i + 1}:00:00Z\tclaim\t${id}\t${address}\t<m${i}@example.com>`,
			`2026-12-02T0${i + 1}:00:03Z\tfailed\t${id}\t550\t5.1.1\t<${address}>: Recipient address rejected`]);
	});
	const [id, address, account] = d1[0];
	lines.push([account, interrupted, `2026-12-03T14:00:00Z\tclaim\t${id}\t${address}\t<m9@example.com>`,
		`2026-12-03T14:00:02Z\tcritical\t${id}\t535\t5.7.8\tAuthentication credentials invalid for ${address}`]);
	for (const [acct, campaign, ...log] of lines) {
		const file = path.join(root, 'campaigns', campaign, 'log', acct + '.tsv');
		fs.mkdirSync(path.dirname(file), { recursive: true });
		if (!fs.existsSync(file))
			fs.writeFileSync(file, '#mailout-log v1\n');
		fs.appendFileSync(file, log.join('\n') + '\n');
	}
	mailout(root, 'build');
	const status = JSON.parse(mailout(root, 'status', '--json')).campaigns;
	return { root, site: path.join(root, 'build', 'site'), status, interrupted, failing };
}

/* Waits until the list's data is there and the rows are rendered. */
async function settle(page) {
	await page.waitForFunction(() => !document.getElementById('campaigns').hasAttribute('aria-busy'));
}

async function rowIds(page) {
	await settle(page);
	return page.$$eval('#campaigns tbody tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
}

/* The table body's markup with the whitespace between elements left out. */
async function bodyMarkup(page) {
	await settle(page);
	return page.$eval('#campaigns tbody', (b) => b.innerHTML.replace(/>\s+</g, '><').trim());
}

async function main() {
	const repo = makeRepo();
	const { status } = repo;
	const ids = status.map((c) => c.id);
	const byId = Object.fromEntries(status.map((c) => [c.id, c]));
	const pages = Math.ceil(CAMPAIGNS / PAGE_ROWS);
	const server = await serve(repo.site);
	const base = `http://127.0.0.1:${server.address().port}/`;
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
	const bare = await noJs.newPage();
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const page = await context.newPage();
	const requested = [];
	watch(bare, base);
	watch(page, base);
	page.on('request', (r) => requested.push(new URL(r.url()).pathname));

	await check('the outcomes show: an interrupted campaign, failures, red stars', async () => {
		assertEqual(byId[repo.interrupted].status, 'interrupted', 'status');
		assertEqual(byId[repo.failing].failed, 3, 'failed');
		assertEqual(status.length, CAMPAIGNS, 'campaigns');
		assert(status.some((c) => c.accounts.some((a) => !a.usable)), 'a red account');
	});

	await check('without JavaScript: the first page, links to every other, static pages', async () => {
		await bare.goto(base + 'index.html');
		assertEqual(await rowIds(bare), ids.slice(0, PAGE_ROWS), 'rows of page 1');
		assertEqual(await bare.textContent('#result-count'), `Showing 1–50 of ${CAMPAIGNS} campaigns`, 'count');
		assert(!await bare.isVisible('#controls'), 'controls hidden');
		assertEqual(await bare.$$eval('#pager a', (as) => as.map((a) => a.textContent)),
			['Page 1', 'Page 2', 'Page 3', `Page ${pages}`, 'Next'], 'pager of page 1');
		await bare.click('#pager a[rel="next"]');
		assert(bare.url().endsWith('/index-2.html'), `next went to ${bare.url()}`);
		assertEqual(await rowIds(bare), ids.slice(PAGE_ROWS, 2 * PAGE_ROWS), 'rows of page 2');
		await bare.click(`#pager a[href="index-${pages}.html"]`);
		assertEqual(await rowIds(bare), ids.slice((pages - 1) * PAGE_ROWS), 'rows of the last page');
		assertEqual(await bare.textContent('#result-count'),
			`Showing ${(pages - 1) * PAGE_ROWS + 1}–${CAMPAIGNS} of ${CAMPAIGNS} campaigns`, 'count of the last page');
		assertEqual(await bare.getAttribute('#pager a[aria-current="page"]', 'href'), `index-${pages}.html`, 'current page');
		assertEqual(await bare.title(), `Campaigns, page ${pages} of ${pages} · ${await bare.$eval('.brand', (b) =>
			b.childNodes[1].textContent.trim())}`, 'title of a later page');
		assertEqual(await bare.getAttribute('nav[aria-label="Site"] a[href="index.html"]', 'aria-current'), 'page',
			'navigation marks the list');
	});

	await check('the first page loads no data; reaching for the controls loads the whole list', async () => {
		requested.length = 0;
		await page.goto(base + 'index.html');
		assertEqual(requested.filter((p) => /index-data-\d+\.js$/.test(p)), [], 'data before any use');
		await page.focus('#search');
		await page.waitForFunction(() => !document.getElementById('campaigns').hasAttribute('aria-busy'));
		await page.waitForFunction(() => performance.getEntriesByType('resource')
			.filter((e) => /index-data-\d+\.js$/.test(e.name)).length === 2);
		assertEqual(requested.filter((p) => /index-data-\d+\.js$/.test(p)).sort(),
			['/index-data-1.js', '/index-data-2.js'], 'data scripts');
		assertEqual(await rowIds(page), ids.slice(0, PAGE_ROWS), 'the static rows stay');
	});

	await check('rows rendered from the data are the static pages\' rows', async () => {
		for (const n of [2, 3, 6, pages]) {
			await bare.goto(base + (n === 1 ? 'index.html' : `index-${n}.html`));
			await page.goto(base + `index.html?page=${n}`);
			await page.waitForFunction((want) => document.querySelector('#pager a[aria-current="page"]') &&
				document.querySelector('#pager a[aria-current="page"]').textContent === 'Page ' + want, n);
			assertEqual(await bodyMarkup(page), await bodyMarkup(bare), `page ${n}`);
			assertEqual(await page.textContent('#result-count'), await bare.textContent('#result-count'), `count on page ${n}`);
		}
		const inner = await bodyMarkup(bare);
		assert(inner.length > 1000, 'rows');
		await bare.goto(base + 'index-3.html');
		assert(/class="star bad"/.test(await bodyMarkup(bare)), 'page 3 shows a red star');
		assert(/earlier notification/.test(await bodyMarkup(bare)) || /class="note( critical)?"/.test(await bodyMarkup(bare)),
			'page 3 shows a notification');
		await bare.goto(base + 'index-6.html');
		assert(/f•••@|[a-z]•••@example/.test(await bodyMarkup(bare)), 'page 6 shows masked addresses');
	});

	await check('search finds a campaign on a later page, by id and by name', async () => {
		await page.goto(base + 'index.html');
		const far = byId[ids[477]];
		await page.fill('#search', far.id.toUpperCase());
		assertEqual(await rowIds(page), [far.id], 'by id');
		assertEqual(await page.textContent('#result-count'), `Showing 1 of ${CAMPAIGNS} campaigns`, 'count');
		assert(await page.isHidden('#pager'), 'no pager for one row');
		await page.fill('#search', far.name);
		assertEqual(await rowIds(page), [far.id], 'by name');
		const word = 'campaign 1';
		const hits = status.filter((c) => c.name.toLowerCase().includes(word) || c.id.includes(word)).map((c) => c.id);
		await page.fill('#search', word);
		assertEqual(await page.textContent('#result-count'),
			`Showing 1–50 of ${hits.length} matching campaigns (${CAMPAIGNS} in all)`, 'count of many');
		assertEqual(await rowIds(page), hits.slice(0, PAGE_ROWS), 'first page of hits');
		await page.click('#pager a[rel="next"]');
		assertEqual(await rowIds(page), hits.slice(PAGE_ROWS, 2 * PAGE_ROWS), 'second page of hits');
		assertEqual(new URL(page.url()).searchParams.get('page'), '2', 'page in the URL');
		assertEqual(await page.evaluate(() => document.activeElement.id), 'campaigns', 'focus on the table');
		await page.reload();
		assertEqual(await rowIds(page), hits.slice(PAGE_ROWS, 2 * PAGE_ROWS), 'after a reload');
		await page.click('#reset');
		assertEqual(await rowIds(page), ids.slice(0, PAGE_ROWS), 'cleared');
		assertEqual(new URL(page.url()).search, '', 'clear empties the URL');
	});

	await check('filters and sorting work over the whole list', async () => {
		const owner = byId[repo.interrupted].owner;
		const mine = status.filter((c) => c.owner === owner).map((c) => c.id);
		await page.selectOption('#filter-owner', owner);
		assertEqual(await rowIds(page), mine.slice(0, PAGE_ROWS), 'owner filter');
		await page.selectOption('#filter-status', 'interrupted');
		const stopped = status.filter((c) => c.owner === owner && c.status === 'interrupted').map((c) => c.id);
		assert(stopped.includes(repo.interrupted), 'the interrupted campaign is its owner\'s');
		assertEqual(await rowIds(page), stopped, 'with the status');
		await page.click('#reset');
		await page.click('#campaigns th[data-sort="recipients"] button');
		await page.click('#campaigns th[data-sort="recipients"] button');
		const top = (await rowIds(page)).map((id) => byId[id].recipients);
		const want = status.map((c) => c.recipients).sort((a, b) => b - a).slice(0, PAGE_ROWS);
		assertEqual(top, want, 'the 50 largest first');
		await page.click('#reset');
		await page.goto(base + 'index.html');
	});

	await check('a department\'s pages and data hold its campaigns only', async () => {
		const dep = byId[repo.interrupted].department;
		const theirs = status.filter((c) => c.department === dep).map((c) => c.id);
		assert(theirs.length > PAGE_ROWS, 'more than a page');
		await bare.goto(base + `departments/${dep}/index-2.html`);
		assertEqual(await rowIds(bare), theirs.slice(PAGE_ROWS, 2 * PAGE_ROWS), 'static page 2');
		await page.goto(base + `departments/${dep}/index.html?page=2`);
		await page.waitForSelector('#pager a[aria-current="page"][data-page="2"]');
		assertEqual(await bodyMarkup(page), await bodyMarkup(bare), 'rendered page 2');
		await page.fill('#search', ids.find((id) => !theirs.includes(id)));
		assertEqual(await rowIds(page), [], 'another department\'s campaign is not there');
		await page.fill('#search', repo.interrupted);
		assertEqual(await rowIds(page), [repo.interrupted], 'its own is');
		assertEqual(await page.$eval(`#campaigns tr[data-id="${repo.interrupted}"] td.name a`, (a) => a.getAttribute('href')),
			`../../campaigns/${repo.interrupted}/index.html`, 'link from a department page');
	});

	await check('on a phone the "Sort by" select sorts, and the header buttons are gone', async () => {
		const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		const p = await phone.newPage();
		watch(p, base);
		await p.goto(base + 'index.html');
		assert(await p.isVisible('#sort-by'), 'the select shows');
		assertEqual(await p.$$eval('#campaigns th button', (bs) => bs.filter((b) => b.getClientRects().length).length), 0,
			'header buttons rendered');
		await p.selectOption('#sort-by', 'completion:desc');
		const got = (await rowIds(p)).map((id) => byId[id].completion);
		assertEqual(got, status.map((c) => c.completion).sort((a, b) => b - a).slice(0, PAGE_ROWS), 'by completion, highest first');
		assertEqual(new URL(p.url()).searchParams.get('sort'), 'completion', 'sort in the URL');
		assertEqual(await p.getAttribute('#campaigns th[data-sort="completion"]', 'aria-sort'), 'descending', 'aria-sort');
		await p.reload();
		assertEqual(await p.inputValue('#sort-by'), 'completion:desc', 'the select after a reload');
		await p.selectOption('#sort-by', 'name:asc');
		const names = (await rowIds(p)).map((id) => byId[id].name);
		const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
		assertEqual(names, status.map((c) => c.name).sort(collator.compare).slice(0, PAGE_ROWS), 'by name');
		assert(!await page.isVisible('#sort-by'), 'no select on a desktop');
		await phone.close();
	});

	await check('keyboard focus is always on something visible, at 1280 and 390 px', async () => {
		for (const [width, height] of [[1280, 900], [390, 844]]) {
			const ctx = await browser.newContext({ viewport: { width, height } });
			const p = await ctx.newPage();
			watch(p, base);
			await p.goto(base + 'index-3.html');
			const seen = new Set();
			for (let i = 0; i < 120; i++) {
				await p.keyboard.press('Tab');
				const f = await p.evaluate(() => {
					const el = document.activeElement;
					const r = el.getBoundingClientRect();
					return { tag: el.tagName, text: (el.textContent || '').trim().slice(0, 30),
						visible: el.checkVisibility({ opacityProperty: true, visibilityProperty: true }),
						inView: r.width >= 2 && r.height >= 2 && r.bottom > 0 && r.right > 0 &&
							r.top < innerHeight && r.left < innerWidth,
						header: !!el.closest('thead'), path: el.id || el.getAttribute('href') || el.tagName };
				});
				if (f.tag === 'BODY')
					break;
				assert(f.visible && f.inView, `${width} px, tab ${i + 1}: ${JSON.stringify(f)} is not visible`);
				if (width < 760)
					assert(!f.header, `${width} px, tab ${i + 1}: a column header button took focus`);
				seen.add(f.path);
			}
			for (const want of ['search', 'search-submit', 'filter-owner', 'reset'])
				assert(seen.has(want), `${width} px: #${want} never took focus`);
			assert(seen.has('sort-by') === (width < 760), `${width} px: the sort select ${width < 760 ? 'never took' : 'took'} focus`);
			await ctx.close();
		}
	});

	await check('from disk (file://): search on a later page, paging and sorting', async () => {
		const p = await context.newPage();
		watch(p, base);
		await p.goto('file://' + path.join(repo.site, 'index.html'));
		await p.fill('#search', ids[500]);
		assertEqual(await rowIds(p), [ids[500]], 'search');
		await p.fill('#search', '');
		await p.selectOption('#filter-status', 'paused');
		const paused = status.filter((c) => c.status === 'paused').map((c) => c.id);
		assertEqual(await rowIds(p), paused.slice(0, PAGE_ROWS), 'filter');
		await p.close();
	});

	await check('no request to another host, no script error, no dialog, no policy violation', async () => {
		assertEqual(foreign, [], 'foreign requests');
		assertEqual(problems, [], 'problems');
	});

	await browser.close();
	server.close();
	if (process.env.KEEP)
		console.log(`kept ${repo.root}`);
	else
		fs.rmSync(repo.root, { recursive: true, force: true });
}

run('list', main);
