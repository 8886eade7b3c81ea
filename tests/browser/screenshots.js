/*
 * Screenshots of the status site for the README (make screenshots):
 * docs/site-index.png (the campaign list) and docs/site-campaign.png (the top
 * of a campaign page), taken in headless Chromium from the browser tests'
 * scratch repository, so they show sends, errors and every status.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const fixture = require('./fixture');

const ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--no-first-run', '--hide-scrollbars'];

async function main() {
	const root = fixture.makeRepo();
	const built = fixture.build(root);
	const docs = path.join(fixture.SRC, 'docs');
	const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
	const shots = [
		['index.html', 'site-index.png', { width: 1280, height: 900 }, true],
		['campaigns/december-update-dach/index.html', 'site-campaign.png', { width: 1280, height: 1480 }, false],
	];

	fs.mkdirSync(docs, { recursive: true });
	try {
		for (const [rel, name, viewport, fullPage] of shots) {
			const page = await browser.newPage({ viewport });
			await page.goto('file://' + path.join(built.site, rel));
			await page.screenshot({ path: path.join(docs, name), fullPage });
			await page.close();
			console.log(`screenshot: docs/${name}`);
		}
	} finally {
		await browser.close();
		fs.rmSync(root, { recursive: true, force: true });
	}
}

main().catch((e) => {
	console.error(`screenshots: ${e && e.stack || e}`);
	process.exitCode = 1;
});
