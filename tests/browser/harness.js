/*
 * What the browser test scripts share: Chromium's flags, the checks with
 * their "ok - " lines and counts, a static HTTP server for a built site,
 * and the watch on every page (requests to another host, script errors,
 * dialogs, console errors).
 */
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--no-first-run'];

const results = { passed: 0, failed: 0 };
const foreign = []; /* requests to anything but the local server or the disk */
const problems = []; /* script errors, dialogs and CSP violations on any page */

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
		results.passed++;
		console.log(`ok - ${name}`);
	} catch (e) {
		results.failed++;
		console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n  ')}`);
	}
}

function serve(dir) {
	const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript' };
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://127.0.0.1');
		let file = path.join(dir, decodeURIComponent(url.pathname));
		if (!file.startsWith(dir)) {
			res.writeHead(403);
			return res.end();
		}
		if (file.endsWith('/'))
			file += 'index.html';
		fs.readFile(file, (err, data) => {
			if (err) {
				res.writeHead(404);
				return res.end('not found');
			}
			res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
			res.end(data);
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function watch(page, base) {
	page.on('request', (req) => {
		const url = req.url();
		if (url.startsWith('file://') || url.startsWith('data:') || url.startsWith('about:'))
			return;
		if (!url.startsWith(base))
			foreign.push(url);
	});
	page.on('dialog', (d) => {
		problems.push(`dialog: ${d.message()}`);
		d.dismiss().catch(() => {});
	});
	page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push(`console error on ${page.url()}: ${m.text()}`);
	});
}

/* Runs main(), then prints "NAME: N passed, M failed" and sets the exit code. */
function run(name, main) {
	main().catch((e) => {
		results.failed++;
		console.log(`not ok - the test run stopped: ${e && e.stack || e}`);
	}).finally(() => {
		console.log(`${name}: ${results.passed} passed, ${results.failed} failed`);
		process.exitCode = results.failed ? 1 : 0;
	});
}

module.exports = { CHROMIUM, ARGS, foreign, problems, assert, assertEqual, check, serve, watch, run };
