/*
 * Measures a built status site's index in headless Chromium (see
 * site.sh): node tests/bench/site.js SITE_DIR.  Prints one line: index.html
 * KB, KB loaded by the first view, FCP ms and load ms (the shortest of 5
 * loads: other work on the machine only adds to them), DOM elements, data
 * load ms, keystroke median and max ms (3 passes of 8), clearing the
 * search ms (median of 3), sort by name first and again (the shortest of
 * 4) ms, sort by recipients ms, 10 million additions in the page ms.
 */
'use strict';

const path = require('path');
const fs = require('fs');
const { chromium } = require(path.join(__dirname, '../browser/node_modules/playwright-core'));
const { CHROMIUM, ARGS, serve } = require('../browser/harness');

const RUNS = 5;

function median(xs) {
	const s = xs.slice().sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

/* In the page: runs act(), then waits for the next painted frame. */
async function timed(page, act) {
	return page.evaluate(async (src) => {
		const t0 = performance.now();
		(0, eval)(src)();
		await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
		return performance.now() - t0;
	}, act.toString());
}

async function main() {
	const dir = path.resolve(process.argv[2]);
	const server = await serve(dir);
	const base = `http://127.0.0.1:${server.address().port}/`;
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	const loads = [];
	let context, page;

	for (let i = 0; i < RUNS; i++) {
		if (context)
			await context.close();
		context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		page = await context.newPage();
		await page.goto(base + 'index.html', { waitUntil: 'load' });
		loads.push(await page.evaluate(async () => {
			const nav = performance.getEntriesByType('navigation')[0];
			const fcp = await new Promise((resolve) => {
				new PerformanceObserver((l) => resolve(l.getEntriesByName('first-contentful-paint')[0]))
					.observe({ type: 'paint', buffered: true });
				setTimeout(resolve, 5000);
			});
			const bytes = [nav, ...performance.getEntriesByType('resource')]
				.reduce((n, e) => n + (e.encodedBodySize || 0), 0);
			return { fcp: fcp ? fcp.startTime : NaN, load: nav.loadEventEnd, bytes,
				dom: document.getElementsByTagName('*').length };
		}));
	}
	/* the data, loaded when the search takes focus */
	const data = await page.evaluate(async () => {
		const t0 = performance.now();
		document.getElementById('search').focus();
		await new Promise((resolve) => {
			const t = document.getElementById('campaigns');
			const poll = () => (t.hasAttribute('aria-busy') ? setTimeout(poll, 1) : resolve());
			poll();
		});
		return performance.now() - t0;
	});
	const keys = [], clears = [];
	for (let pass = 0; pass < 3; pass++) {
		for (const text of ['c', 'ca', 'cam', 'camp', 'campaign', 'campaign 1', 'campaign 12', 'campaign 123'])
			keys.push(await timed(page, `() => { const s = document.getElementById('search');
				s.value = ${JSON.stringify(text)}; s.dispatchEvent(new Event('input', { bubbles: true })); }`));
		clears.push(await timed(page, `() => { const s = document.getElementById('search');
			s.value = ''; s.dispatchEvent(new Event('input', { bubbles: true })); }`));
	}
	const sort = (key) => timed(page, `() => document.querySelector('#campaigns th[data-sort="${key}"] button').click()`);
	const name1 = await sort('name');
	const again = [];
	for (let i = 0; i < 4; i++)
		again.push(await sort('name'));
	const name2 = Math.min(...again);
	const recipients = await sort('recipients');
	const clear = median(clears);
	const loop = await page.evaluate(() => {
		const t0 = performance.now();
		let x = 0;
		for (let i = 0; i < 1e7; i++)
			x += i;
		return x > 0 ? performance.now() - t0 : 0;
	});
	const html = fs.statSync(path.join(dir, 'index.html')).size;
	const f = (x) => x.toFixed(0);
	console.log([f(html / 1024), f(median(loads.map((l) => l.bytes)) / 1024), f(Math.min(...loads.map((l) => l.fcp))),
		f(Math.min(...loads.map((l) => l.load))), loads[0].dom, f(data), f(median(keys)), f(Math.max(...keys)), f(clear),
		f(name1), f(name2), f(recipients), f(loop)].join(' '));
	await browser.close();
	server.close();
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
