/*
 * Browser tests of the status site, in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core; no browser download).
 *
 * Builds a scratch repository (fixture.js), runs `mailout build`, serves
 * build/site from a local HTTP server on 127.0.0.1 and checks the pages over
 * HTTP and from disk (file://).  `mailout status --json` is the oracle for
 * statuses, owners, departments and counts.  Every request the pages make is
 * recorded: none may go to another host.  Closing line:
 * "browser: N passed, M failed".
 *
 *   node tests/browser/site.test.js        (MAILOUT=path/to/mailout to test another build)
 *   KEEP=1 keeps the scratch repository.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const fixture = require('./fixture');
const { CHROMIUM, ARGS, foreign, problems, assert, assertEqual, check, serve, watch, run } = require('./harness');
const oneClick = require('./one_click');

const TOKEN = 'v1.AbC-_9.december-update-dach.c-1002.' + 'q'.repeat(20) + 'Z-_0123456789abcdefghij';
const STATUS_ORDER = ['active', 'active_error', 'paused', 'interrupted', 'done', 'merged'];

/* The rows shown, once the list's data (loaded at the first use of the
 * controls) is there and the rows are rendered. */
async function visibleIds(page) {
	await page.waitForFunction(() => !document.getElementById('campaigns').hasAttribute('aria-busy'));
	return page.$$eval('#campaigns tbody tr[data-id]',
		(rows) => rows.filter((r) => !r.hidden).map((r) => r.getAttribute('data-id')));
}

function sortedIds(campaigns, pick) {
	return campaigns.filter(pick).map((c) => c.id).sort();
}

async function main() {
	const root = fixture.makeRepo();
	const built = fixture.build(root);
	const status = built.status.campaigns;
	const byId = Object.fromEntries(status.map((c) => [c.id, c]));
	const config = fs.readFileSync(path.join(root, 'mailout.yaml'), 'utf8');
	const personName = {};
	for (const m of config.matchAll(/\{ id: (\w+), name: ([^,]+),/g))
		personName[m[1]] = m[2].trim();
	const server = await serve(built.site);
	const base = `http://127.0.0.1:${server.address().port}/`;
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const page = await context.newPage();
	watch(page, base);

	await check('mailout build writes the site and says where', async () => {
		assert(/^site: .*\/build\/site$/m.test(built.output), `output: ${built.output}`);
		for (const rel of ['index.html', 'accounts/index.html', 'unsubscribe/index.html',
			'assets/style.css', 'assets/app.js', 'departments/emea/index.html',
			'departments/americas/index.html', 'campaigns/evil-news/index.html',
			'campaigns/evil-news/preview.html'])
			assert(fs.existsSync(path.join(built.site, rel)), `missing ${rel}`);
		const leftovers = fs.readdirSync(path.join(root, 'build')).filter((f) => f.startsWith('.site-'));
		assertEqual(leftovers, [], 'temporary directories left');
	});

	await check('no generated file holds a recipient address', async () => {
		const addresses = fixture.recipientAddresses(root);
		assert(addresses.length > 50, `only ${addresses.length} addresses found in the repository`);
		const files = [];
		(function walk(dir) {
			for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
				const p = path.join(dir, e.name);
				if (e.isDirectory())
					walk(p);
				else
					files.push(p);
			}
		})(built.site);
		assert(files.length > 10, 'too few files');
		for (const file of files) {
			const text = fs.readFileSync(file, 'utf8').toLowerCase();
			for (const a of addresses)
				assert(!text.includes(a), `${path.relative(built.site, file)} contains ${a}`);
		}
	});

	await page.goto(base + 'index.html');

	await check('index lists every campaign, one row each', async () => {
		const ids = await page.$$eval('#campaigns tbody tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
		assertEqual(ids.slice().sort(), status.map((c) => c.id).sort(), 'rows');
		const sorts = await page.$$eval('#campaigns th[data-sort]', (ths) => ths.map((t) => t.getAttribute('data-sort')));
		assertEqual(sorts, ['name', 'recipient_type', 'status', 'completion', 'owner', 'sent_today', 'recipients'], 'sortable headers');
		for (const id of ['search', 'filter-department', 'filter-owner', 'filter-vip', 'filter-status'])
			assert(await page.isVisible('#' + id), `#${id} not visible`);
		for (const id of ['filter-department', 'filter-owner', 'filter-vip', 'filter-status'])
			assertEqual(await page.$eval('#' + id, (s) => s.options[0].value), '', `first option of #${id}`);
	});

	await check('row cells show the status JSON values', async () => {
		for (const c of status) {
			const row = `#campaigns tr[data-id="${c.id}"]`;
			const cells = await page.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent.trim()));
			assert(cells[2].includes(c.status === 'active_error' ? 'Active but error' : c.status.charAt(0).toUpperCase() + c.status.slice(1)), `${c.id} status ${cells[2]}`);
			assert(cells[3].endsWith(c.completion + '%'), `${c.id} completion ${cells[3]}`);
			assertEqual(cells[4], personName[c.owner], `${c.id} owner`);
			assertEqual(Number(cells[5].replace(/,/g, '')), c.sent_today, `${c.id} sent today`);
			assertEqual(Number(cells[6].replace(/,/g, '')), c.recipients, `${c.id} recipients`);
			const stars = await page.$$eval(`${row} .star`, (s) => s.map((x) => x.classList.contains('ok')));
			assertEqual(stars, c.accounts.map((a) => a.usable), `${c.id} stars`);
			const reasons = await page.$$eval(`${row} .star.bad`, (s) => s.map((x) => x.title));
			for (const r of reasons)
				assert(/critical error/.test(r), `${c.id} red star reason: ${r}`);
			assert(await page.$eval(`${row} td.name a`, (a) => a.getAttribute('href')) === `campaigns/${c.id}/index.html`, `${c.id} link`);
		}
		const red = await page.$eval('#campaigns tr[data-id="americas-companies"] .star.bad + .sr-only', (e) => e.textContent);
		assert(/not usable/.test(red) && /critical error/.test(red), `screen reader text: ${red}`);
	});

	await check('the evil campaign name shows as text', async () => {
		const text = await page.$eval('#campaigns tr[data-id="evil-news"] td.name a', (a) => a.textContent);
		assertEqual(text, fixture.EVIL_NAME, 'link text');
		assertEqual(await page.$$eval('#campaigns script', (s) => s.length), 0, 'script elements in the table');
		await page.goto(base + 'campaigns/evil-news/index.html');
		assertEqual(await page.$eval('h1', (h) => h.textContent), fixture.EVIL_NAME, 'campaign page heading');
		assert((await page.title()).startsWith(fixture.EVIL_NAME), 'title');
		await page.goto(base + 'index.html');
	});

	await check('search by name and by id', async () => {
		await page.fill('#search', 'beacon');
		assertEqual((await visibleIds(page)).sort(), ['americas-companies', 'product-launch-leads'], 'by name');
		await page.fill('#search', 'DECEMBER-UPDATE-V');
		assertEqual(await visibleIds(page), ['december-update-vip'], 'by id');
		await page.fill('#search', '<script>');
		assertEqual(await visibleIds(page), ['evil-news'], 'markup in the name');
		await page.fill('#search', 'no such campaign');
		assertEqual(await visibleIds(page), [], 'nothing');
		assert(await page.isVisible('#no-match'), 'the no-match message');
		assertEqual(await page.textContent('#result-count'), `Showing 0 of ${status.length} campaigns`, 'count');
		await page.fill('#search', 'mexico');
		await page.press('#search', 'Enter');
		assertEqual(await visibleIds(page), ['mexico-contacts'], 'Enter keeps the page');
		await page.fill('#search', '');
		assertEqual((await visibleIds(page)).length, status.length, 'cleared');
	});

	const filters = [
		['filter-department', 'emea', (c) => c.department === 'emea'],
		['filter-department', 'americas', (c) => c.department === 'americas'],
		['filter-owner', 'alice', (c) => c.owner === 'alice'],
		['filter-owner', 'dana', (c) => c.owner === 'dana'],
		['filter-vip', 'yes', (c) => c.vip_only],
		['filter-vip', 'no', (c) => !c.vip_only],
		['filter-status', 'interrupted', (c) => c.status === 'interrupted'],
		['filter-status', 'active_error', (c) => c.status === 'active_error'],
		['filter-status', 'done', (c) => c.status === 'done'],
	];
	for (const [id, value, pick] of filters) {
		await check(`filter ${id} = ${value}`, async () => {
			await page.selectOption('#' + id, value);
			const expected = sortedIds(status, pick);
			assert(expected.length > 0 && expected.length < status.length, 'a filter that tells');
			assertEqual((await visibleIds(page)).sort(), expected, 'rows');
			await page.selectOption('#' + id, '');
		});
	}

	await check('filters combine with each other and the search, and the URL keeps them', async () => {
		await page.selectOption('#filter-department', 'americas');
		await page.selectOption('#filter-status', 'interrupted');
		await page.selectOption('#filter-vip', 'no');
		assertEqual(await visibleIds(page), ['product-launch-leads'], 'department + status + vip');
		await page.selectOption('#filter-vip', '');
		await page.fill('#search', 'key accounts');
		assertEqual(await visibleIds(page), ['americas-companies'], 'with the search');
		const url = new URL(page.url());
		assertEqual(url.searchParams.get('department'), 'americas', 'department in the URL');
		assertEqual(url.searchParams.get('status'), 'interrupted', 'status in the URL');
		assertEqual(url.searchParams.get('q'), 'key accounts', 'search in the URL');
		await page.reload();
		assertEqual(await page.inputValue('#search'), 'key accounts', 'search after reload');
		assertEqual(await page.inputValue('#filter-department'), 'americas', 'department after reload');
		assertEqual(await page.inputValue('#filter-status'), 'interrupted', 'status after reload');
		assertEqual(await visibleIds(page), ['americas-companies'], 'rows after reload');
		const shared = await context.newPage();
		watch(shared, base);
		await shared.goto(base + 'index.html?owner=alice&vip=yes');
		assertEqual(await visibleIds(shared), sortedIds(status, (c) => c.owner === 'alice' && c.vip_only), 'a shared link');
		await shared.close();
		await page.click('#reset');
		assertEqual((await visibleIds(page)).length, status.length, 'clear');
		assertEqual(new URL(page.url()).search, '', 'clear empties the URL');
	});

	const keys = {
		name: (c) => c.name,
		recipient_type: (c) => c.recipient_type,
		status: (c) => STATUS_ORDER.indexOf(c.status),
		completion: (c) => c.completion,
		owner: (c) => personName[c.owner],
		sent_today: (c) => c.sent_today,
		recipients: (c) => c.recipients,
	};
	const cmp = (a, b) => typeof a === 'number' ? a - b :
		String(a).localeCompare(String(b), undefined, { sensitivity: 'base', numeric: true });
	for (const key of Object.keys(keys)) {
		await check(`sort by ${key}, both ways`, async () => {
			for (const [order, sign] of [['ascending', 1], ['descending', -1]]) {
				await page.click(`#campaigns th[data-sort="${key}"] button`);
				assertEqual(await page.getAttribute(`#campaigns th[data-sort="${key}"]`, 'aria-sort'), order, 'aria-sort');
				const values = (await visibleIds(page)).map((id) => keys[key](byId[id]));
				assertEqual(values.length, status.length, 'rows');
				for (let i = 1; i < values.length; i++)
					assert(sign * cmp(values[i - 1], values[i]) <= 0, `${order}: ${JSON.stringify(values)}`);
				const distinct = new Set(values).size;
				assert(distinct > 1, `the fixture gives ${key} one value only`);
				assertEqual(new URL(page.url()).searchParams.get('order'), order === 'ascending' ? 'asc' : 'desc', 'order in the URL');
			}
			await page.reload();
			assertEqual(await page.getAttribute(`#campaigns th[data-sort="${key}"]`, 'aria-sort'), 'descending', 'sort after reload');
		});
	}
	await page.goto(base + 'index.html');

	await check('department pages list only their campaigns, with the same tools', async () => {
		for (const dep of ['emea', 'americas']) {
			await page.goto(base + `departments/${dep}/index.html`);
			const expected = sortedIds(status, (c) => c.department === dep);
			assertEqual((await visibleIds(page)).sort(), expected, `${dep} rows`);
			const all = await page.$$eval('#campaigns tbody tr[data-id]', (r) => r.length);
			assertEqual(all, expected.length, `${dep}: no hidden rows of other departments`);
			await page.click('#campaigns th[data-sort="recipients"] button');
			await page.fill('#search', expected[0]);
			assertEqual(await visibleIds(page), [expected[0]], `${dep} search`);
			assertEqual(await page.$eval(`#campaigns tr[data-id="${expected[0]}"] td.name a`, (a) => a.getAttribute('href')),
				`../../campaigns/${expected[0]}/index.html`, 'link to the campaign page');
			assertEqual(await page.getAttribute(`nav a[href="../../departments/${dep}/index.html"]`, 'aria-current'), 'page', 'current in the navigation');
		}
	});

	await check('campaign page: counts, chart, accounts, lists and the commands', async () => {
		const c = byId['december-update-dach'];
		await page.goto(base + 'campaigns/december-update-dach/index.html');
		const stats = await page.$$eval('#progress .stats div', (ds) => Object.fromEntries(ds.map((d) =>
			[d.querySelector('dt').textContent, Number(d.querySelector('dd').textContent.replace(/,/g, ''))])));
		assertEqual([stats.Recipients, stats.Sent, stats.Failed, stats.Retrying, stats.Unconfirmed, stats.Pending, stats.Suppressed],
			[c.recipients, c.sent, c.failed, c.retrying, c.unconfirmed, c.pending, c.suppressed], 'stats');
		const bars = await page.$$eval('#chart svg rect', (rs) => rs.map((r) => r.querySelector('title').textContent));
		const total = bars.reduce((n, t) => n + Number(/: (\d+) sent$/.exec(t)[1]), 0);
		assertEqual(total, c.sent, 'messages in the chart');
		assert(bars.some((t) => /^Dec 1, alice-main: 1 sent$/.test(t)), `bars: ${bars}`);
		assert(bars.some((t) => /^Dec 1, alice-news: 2 sent$/.test(t)), `bars: ${bars}`);
		assertEqual(await page.$$eval('#chart .legend li', (l) => l.map((x) => x.textContent)), ['alice-main', 'alice-news'], 'legend');
		assert(/Messages sent per day/.test(await page.getAttribute('#chart svg', 'aria-label')), 'chart label');
		const accounts = await page.$$eval('#account-breakdown tbody tr', (rs) => rs.map((r) =>
			[r.getAttribute('data-account'), ...Array.from(r.querySelectorAll('td.num')).map((td) => Number(td.textContent))]));
		assertEqual(accounts, [['alice-main', 2, 1, 0, 0, 0, 0], ['alice-news', 2, 0, 1, 1, 1, 0]], 'per-account breakdown');
		const failedRows = await page.$$eval('#failed-list tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((td) => td.textContent)));
		assertEqual(failedRows.length, 1, 'failed rows');
		assertEqual(failedRows[0].slice(0, 3), ['c-1008', 'j•••@example.net', 'alice-news'], 'failed row');
		assert(failedRows[0][3].includes('550 5.1.1 <j•••@example.net>: Recipient address rejected'), `failed reply: ${failedRows[0][3]}`);
		assert(/2026-12-02 09:30 CET/.test(failedRows[0][4]), `failed time: ${failedRows[0][4]}`);
		const retrying = await page.$$eval('#retrying-list tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((td) => td.textContent)));
		assertEqual(retrying.map((r) => r.slice(0, 3)), [['c-1013', 'f•••@bauer-elektro.test', 'alice-news']], 'retrying row');
		assert(retrying[0][3].includes('Mailbox f•••@bauer-elektro.test is busy'), `retrying reply: ${retrying[0][3]}`);
		assert(/2026-12-03 17:00 CET/.test(retrying[0][5]), `next attempt: ${retrying[0][5]}`);
		const unconfirmed = await page.$$eval('#unconfirmed-list tbody tr', (rs) => rs.map((r) => Array.from(r.cells).map((td) => td.textContent)));
		assertEqual(unconfirmed.map((r) => r.slice(0, 3)), [['c-1014', 'l•••@example.com', 'alice-news']], 'unconfirmed row');
		const commands = await page.$$eval('#next pre.command', (ps) => ps.map((p) => p.textContent));
		assertEqual(commands, ['mailout retry december-update-dach', 'mailout confirm'], 'commands');
		/* c-1014's claim (08:30 UTC) is more than an hour old at 15:00 UTC: an alert, and
		 * alice-news has imap:, so its Sent folder settles it */
		const overdue = await page.$$eval('#next li.overdue', (l) => l.map((li) => [li.getAttribute('data-account'), li.textContent]));
		assertEqual(overdue.length, 1, 'overdue accounts');
		assertEqual(overdue[0][0], 'alice-news', 'overdue account');
		assert(overdue[0][1].startsWith('1 on alice-news, the oldest claimed 2026-12-03 09:30 CET (1 for more than an hour). Look them up in the account\'s Sent folder'),
			`overdue text: ${overdue[0][1]}`);
		assert(overdue[0][1].includes('(mailout retry december-update-dach --unconfirmed sends those again)'), `overdue text: ${overdue[0][1]}`);
		const config = await page.$eval('#configuration', (s) => s.textContent);
		for (const text of ['templates/december-update.md', 'dach-customers', 'Alice Adams', 'Sales EMEA', '2026-12-01', '2027-01-31'])
			assert(config.includes(text), `configuration lacks ${text}`);
		const notes = await page.$$eval('#notifications li', (l) => l.length);
		assertEqual(notes, 2, 'notifications');
	});

	await check('campaign page: the preview is sandboxed and shows the sample recipient', async () => {
		const frame = await page.$('#preview iframe');
		assertEqual(await frame.getAttribute('sandbox'), '', 'sandbox');
		assertEqual(await frame.getAttribute('src'), 'preview.html', 'src');
		const doc = await (await frame.contentFrame()).content();
		assert(/Hello Jane/.test(doc), 'sample recipient');
		assert(/Content-Security-Policy/.test(doc), 'the preview has its own policy');
		assert(/Our December update/.test(await page.textContent('#preview')), 'subject');
	});

	await check('campaign pages: interrupted, done and nothing sent yet', async () => {
		await page.goto(base + 'campaigns/americas-companies/index.html');
		assertEqual(await page.$$eval('#next pre.command', (p) => p.map((x) => x.textContent)),
			['mailout resume americas-companies'], 'the resume command, no retry command');
		await page.goto(base + 'campaigns/december-update-vip/index.html');
		assert(/Nothing sent yet/.test(await page.textContent('#chart')), 'empty chart');
		assert(/paused/.test(await page.textContent('#next')), 'paused hint');
		await page.goto(base + 'campaigns/mexico-contacts/index.html');
		assert(/every recipient has been handled/.test(await page.textContent('#next')), 'done');
	});

	await check('accounts page: every account, limit, state and next send', async () => {
		await page.goto(base + 'accounts/index.html');
		const rows = await page.$$eval('#accounts tbody tr', (rs) => rs.map((r) => ({
			id: r.getAttribute('data-id'), cells: Array.from(r.cells).map((c) => c.textContent.trim()),
		})));
		assertEqual(rows.map((r) => r.id), ['alice-main', 'alice-news', 'bruno-main', 'bruno-uk', 'dana-main', 'dana-outreach'], 'accounts');
		const dana = rows.find((r) => r.id === 'dana-main').cells;
		assertEqual(dana[1], 'Dana Diaz', 'owner');
		assertEqual(dana[3], '60', 'daily limit');
		assert(/not usable/.test(dana[6]) && /critical error/.test(dana[6]), `state: ${dana[6]}`);
		assert(/mailout resume/.test(dana[7]), `next send: ${dana[7]}`);
		const news = rows.find((r) => r.id === 'alice-news').cells;
		assert(/usable/.test(news[6]) && /2026-12-03 16:00 CET/.test(news[7]), `alice-news: ${news}`);
	});

	await check('unsubscribe page prepares the e-mail from the token', async () => {
		await page.goto(base + 'unsubscribe/index.html#' + TOKEN);
		assert(await page.isVisible('#token-ok'), 'explanation shown');
		assert(!await page.isVisible('#token-missing'), 'no error');
		assertEqual(await page.getAttribute('#unsubscribe-mail', 'href'),
			`mailto:${fixture.UNSUBSCRIBE_ADDRESS}?subject=unsubscribe%20${TOKEN}`, 'mailto');
		/* the token goes in the body, never in a URL a server logs */
		assertEqual(await page.getAttribute('#one-click', 'action'), fixture.ONE_CLICK_URL, 'one-click action');
		assertEqual(await page.$eval('#one-click', (f) => f.method), 'post', 'one-click method');
		assertEqual(await page.$eval('#one-click input[name="t"]', (i) => i.value), TOKEN, 'one-click token');
		assertEqual(await page.$eval('#token-ok .actions', (a) => a.firstElementChild.id), 'one-click',
			'the one-click button comes first');
		assertEqual(await page.getAttribute('#unsubscribe-mail', 'class'), 'button secondary', 'the e-mail second');
		assert(/does not unsubscribe/.test(await page.textContent('#token-ok')), 'says nothing happened');
	});

	await check('unsubscribe page: missing or malformed token gets a friendly message', async () => {
		for (const hash of ['', '#', '#v1.short', '#' + TOKEN + '<b>']) {
			await page.goto(base + 'unsubscribe/index.html' + hash);
			await page.reload();
			assert(await page.isVisible('#token-missing'), `message for "${hash}"`);
			assert(!await page.isVisible('#token-ok'), `no buttons for "${hash}"`);
			assertEqual(await page.getAttribute('#unsubscribe-manual', 'href'),
				`mailto:${fixture.UNSUBSCRIBE_ADDRESS}?subject=unsubscribe`, 'manual mailto');
		}
	});

	await check('without JavaScript the full table shows', async () => {
		const ctx = await browser.newContext({ javaScriptEnabled: false });
		const p = await ctx.newPage();
		watch(p, base);
		await p.goto(base + 'index.html?status=done');
		const rows = await p.$$eval('#campaigns tbody tr[data-id]', (rs) => rs.filter((r) => r.offsetParent !== null).length);
		assertEqual(rows, status.length, 'visible rows');
		assert(!await p.isVisible('#controls'), 'controls hidden');
		await ctx.close();
	});

	await check('readable on a phone: no sideways scrolling', async () => {
		const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		const p = await ctx.newPage();
		watch(p, base);
		for (const rel of ['index.html', 'campaigns/december-update-dach/index.html', 'accounts/index.html',
			'unsubscribe/index.html#' + TOKEN]) {
			await p.goto(base + rel);
			const [scroll, width] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
			assert(scroll <= width, `${rel}: ${scroll}px wide in a ${width}px screen`);
		}
		await ctx.close();
	});

	await check('on a phone: the "Sort by" select sorts, and keyboard focus stays visible', async () => {
		const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		const p = await ctx.newPage();
		watch(p, base);
		await p.goto(base + 'index.html');
		await p.selectOption('#sort-by', 'recipients:desc');
		assertEqual((await visibleIds(p)).map((id) => byId[id].recipients),
			status.map((c) => c.recipients).sort((a, b) => b - a), 'by recipients, highest first');
		await p.goto(base + 'index.html');
		for (let i = 0; i < 60; i++) {
			await p.keyboard.press('Tab');
			const f = await p.evaluate(() => {
				const el = document.activeElement, r = el.getBoundingClientRect();
				return { tag: el.tagName, id: el.id || el.getAttribute('href') || el.tagName,
					shown: el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
						r.width >= 2 && r.height >= 2 && r.bottom > 0 && r.top < innerHeight };
			});
			if (f.tag === 'BODY')
				break;
			assert(f.shown, `tab ${i + 1}: focus on ${f.id}, which is not visible`);
		}
		await ctx.close();
	});

	await check('works from disk (file://)', async () => {
		const p = await context.newPage();
		watch(p, base);
		const index = 'file://' + path.join(built.site, 'index.html');
		await p.goto(index + '?department=emea');
		assertEqual((await visibleIds(p)).sort(), sortedIds(status, (c) => c.department === 'emea'), 'filter from the URL');
		await p.fill('#search', 'mexico');
		assertEqual(await visibleIds(p), [], 'search within the department filter');
		await p.selectOption('#filter-department', '');
		assertEqual(await visibleIds(p), ['mexico-contacts'], 'search');
		await p.reload();
		assertEqual(await visibleIds(p), ['mexico-contacts'], 'state kept over a reload');
		await p.click('#campaigns tr[data-id="mexico-contacts"] td.name a');
		await p.waitForLoadState();
		assert(p.url().endsWith('/campaigns/mexico-contacts/index.html'), `followed to ${p.url()}`);
		assert(await p.$$eval('#chart svg rect', (r) => r.length) > 0, 'chart');
		assert(/Hello Jane/.test(await (await (await p.$('#preview iframe')).contentFrame()).content()), 'preview');
		await p.goto('file://' + path.join(built.site, 'unsubscribe', 'index.html') + '#' + TOKEN);
		assertEqual(await p.getAttribute('#unsubscribe-mail', 'href'),
			`mailto:${fixture.UNSUBSCRIBE_ADDRESS}?subject=unsubscribe%20${TOKEN}`, 'mailto from disk');
		await p.close();
	});

	await check('axe-core: no serious or critical violations, on a desktop and on a phone', async () => {
		const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
		const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
		const small = await phone.newPage();
		watch(small, base);
		for (const p of [page, small]) {
			for (const rel of ['index.html', 'campaigns/december-update-dach/index.html', 'accounts/index.html',
				'departments/emea/index.html', 'unsubscribe/index.html#' + TOKEN, 'unsubscribe/index.html']) {
				await p.goto(base + rel);
				await p.evaluate(axe);
				const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
				const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
				assert(bad.length === 0, `${rel} (${p === small ? 'phone' : 'desktop'}): ` + bad.map((v) =>
					`${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('; '));
			}
		}
		await phone.close();
	});

	await check('one click: the footer link of a sent message, the button, serve\'s confirmation, the mailbox, sync',
		() => oneClick.run(browser, { assert, assertEqual }));

	await check('no request to another host, no script error, no dialog, no policy violation', async () => {
		assertEqual(foreign, [], 'foreign requests');
		assertEqual(problems, [], 'problems');
	});

	await browser.close();
	server.close();
	if (process.env.KEEP)
		console.log(`kept ${root}`);
	else
		fs.rmSync(root, { recursive: true, force: true });
}

run('browser', main);
