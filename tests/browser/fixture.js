/*
 * The scratch repository of the browser tests: a copy of the example content
 * (with the site theme) plus campaigns and log lines, so the site shows sends,
 * failures with an address in the server's reply, retrying and unconfirmed
 * recipients, a red account, every status but merged, and a campaign whose
 * name is an injection attempt.  build() runs `mailout build` on it with a
 * fixed clock and returns the paths and `mailout status --json`.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const SRC = path.resolve(__dirname, '..', '..');
const NOW = '2026-12-03T15:00:00Z';
const EVIL_NAME = '<script>alert(1)</script> & news';
const UNSUBSCRIBE_ADDRESS = 'unsubscribe@example.com';
const ONE_CLICK_URL = 'https://unsub.example.com/u';

function write(root, rel, text) {
	const file = path.join(root, rel);
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, text);
}

/* One log file: "#mailout-log v1", then TIME EVENT FIELDS... (src/log.h). */
function log(lines) {
	return '#mailout-log v1\n' + lines.map((l) => l.join('\t') + '\n').join('');
}

function sent(time, id, address, n) {
	return [
		[time, 'claim', id, address, `<m${n}.${id}@mail.example.com>`],
		[time.replace(/:00Z$/, ':02Z'), 'sent', id, '250', '2.0.0', 'OK queued as ' + n],
	];
}

function makeRepo() {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailout-browser-'));
	for (const entry of ['mailout.yaml', 'recipients', 'templates', 'campaigns', 'site'])
		fs.cpSync(path.join(SRC, entry), path.join(root, entry), { recursive: true });
	for (const c of fs.readdirSync(path.join(root, 'campaigns')))
		fs.rmSync(path.join(root, 'campaigns', c, 'log'), { recursive: true, force: true });


	write(root, 'templates/company-news.md',
		'---\nsubject: "News for {{full_name}}"\npreheader: Short and sweet\n---\n' +
		'Dear team at {{full_name}},\n\nhere is our **company news** for December.\n');
	write(root, 'campaigns/evil-news/campaign.yaml',
		`name: "${EVIL_NAME}"\ntemplate: company-news\nrecipient_type: companies\n` +
		'owner: bruno\nstatus: active\nstart: 2026-12-01\n');
	write(root, 'campaigns/americas-companies/campaign.yaml',
		'name: Beacon for key accounts (Americas)\ntemplate: product-launch\n' +
		'recipient_type: companies\nowner: dana\nstatus: active\nstart: 2026-12-01\nvip_only: true\n');
	write(root, 'campaigns/mexico-contacts/campaign.yaml',
		'name: December update (Mexico)\ntemplate: december-update\nrecipient_type: contacts\n' +
		'filter: { country: MX }\nowner: dana\nstatus: active\nstart: 2026-12-01\n');

	write(root, 'campaigns/december-update-dach/log/alice-news.tsv', log([
		...sent('2026-12-01T08:30:00Z', 'c-1002', 'lukas.mueller@mueller-soehne.test', 1),
		...sent('2026-12-01T09:00:00Z', 'c-1005', 'chloe.favre@leman-horlogerie.test', 2),
		['2026-12-02T08:30:00Z', 'claim', 'c-1008', 'juergen.weiss@example.net', '<m3@mail.example.com>'],
		['2026-12-02T08:30:03Z', 'failed', 'c-1008', '550', '5.1.1',
			'<juergen.weiss@example.net>: Recipient address rejected: User unknown in virtual mailbox table'],
		['2026-12-02T09:00:00Z', 'claim', 'c-1013', 'felix.bauer@bauer-elektro.test', '<m4@mail.example.com>'],
		['2026-12-02T09:00:03Z', 'retry', 'c-1013', '451', '4.2.0',
			'Mailbox felix.bauer@bauer-elektro.test is busy, try again later', '2026-12-03T16:00:00Z'],
		['2026-12-03T08:30:00Z', 'claim', 'c-1014', 'lea.meier@example.com', '<m5@mail.example.com>'],
	]));
	write(root, 'campaigns/december-update-dach/log/alice-main.tsv', log([
		...sent('2026-12-01T08:30:00Z', 'c-1001', 'jana.novak@example.net', 6),
		...sent('2026-12-03T09:00:00Z', 'c-1003', 'sophie.gruber@alpenblick.test', 7),
	]));
	write(root, 'campaigns/evil-news/log/bruno-uk.tsv', log([
		...sent('2026-12-02T10:00:00Z', 'co-2006', 'contact@mercier-textiles.example.com', 8),
		...sent('2026-12-03T10:00:00Z', 'co-2007', 'service@donau-versicherung.test', 9),
	]));
	write(root, 'campaigns/americas-companies/log/dana-main.tsv', log([
		...sent('2026-12-02T15:00:00Z', 'co-2009', 'hello@carter-freight.test', 10),
		['2026-12-03T14:00:00Z', 'claim', 'co-2010', 'info@tremblay-equipements.example.net', '<m11@mail.example.com>'],
		['2026-12-03T14:00:02Z', 'critical', 'co-2010', '535', '5.7.8',
			'Authentication credentials invalid for dana@example.net'],
	]));
	write(root, 'campaigns/mexico-contacts/log/dana-outreach.tsv', log([
		...sent('2026-12-02T16:00:00Z', 'c-1027', 'sofia.hernandez@hernandez-dist.test', 12),
	]));
	return root;
}

function mailout() {
	return process.env.MAILOUT || path.join(SRC, 'mailout');
}

/* Every recipient address of the repository's recipient files. */
function recipientAddresses(root) {
	const found = new Set();
	const dir = path.join(root, 'recipients');
	for (const type of fs.readdirSync(dir)) {
		const sub = path.join(dir, type);
		if (!fs.statSync(sub).isDirectory())
			continue;
		for (const file of fs.readdirSync(sub)) {
			const text = fs.readFileSync(path.join(sub, file), 'utf8');
			for (const m of text.matchAll(/\bemail:\s*"?([^,\s"}]+@[^,\s"}]+)/g))
				found.add(m[1].toLowerCase());
		}
	}
	const suppressions = fs.readFileSync(path.join(dir, 'suppressions.tsv'), 'utf8');
	for (const line of suppressions.split('\n').slice(1))
		if (line.includes('@'))
			found.add(line.split('\t')[0].toLowerCase());
	return [...found];
}

function build(root) {
	const env = Object.assign({}, process.env, { MAILOUT_NOW: NOW });
	const output = execFileSync(mailout(), ['--repo', root, 'build'], { env, encoding: 'utf8' });
	const status = JSON.parse(execFileSync(mailout(), ['--repo', root, 'status', '--json'],
		{ env, encoding: 'utf8' }));
	return { root, site: path.join(root, 'build', 'site'), output, status };
}

module.exports = { makeRepo, build, recipientAddresses, NOW, EVIL_NAME, UNSUBSCRIBE_ADDRESS, ONE_CLICK_URL, SRC };
