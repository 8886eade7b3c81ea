#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "import.h"
#include "import_presets.h"
#include "recipients.h"
#include "schedule.h"
#include "util.h"

/* "FILE:LINE: error: ..." (a column only where one is known). */
static void print_problems(const struct diag_list *diags)
{
	size_t i;

	for (i = 0; i < diags->count; i++) {
		const struct diag *d = &diags->items[i];
		const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";

		if (d->line && d->col)
			cmd_fprintf(stderr, "%s:%d:%d: %s: %s\n", d->path, d->line, d->col, sev, d->message);
		else if (d->line)
			cmd_fprintf(stderr, "%s:%d: %s: %s\n", d->path, d->line, sev, d->message);
		else
			cmd_fprintf(stderr, "%s: %s: %s\n", d->path, sev, d->message);
	}
}

static int parse_type(struct cmd_ctx *ctx, const char *s)
{
	const char *names[RTYPE_COUNT], *hint;
	int t = recipient_type_parse(s), i;

	if (t >= 0)
		return t;
	for (i = 0; i < RTYPE_COUNT; i++)
		names[i] = recipient_type_name((enum recipient_type)i);
	hint = suggest_closest(s, names, RTYPE_COUNT);
	if (hint)
		cmd_usage_error(ctx, "unknown recipient type '%s' (did you mean '%s'?)", s, hint);
	else
		cmd_usage_error(ctx, "unknown recipient type '%s': contacts, companies or leads", s);
	return -1;
}

static const char *owner, *into, *id_from, *id_column, *delimiter, *encoding;
static struct opt_list maps, opt_out_columns;
static int replace, skip_invalid;

static const struct opt_spec opts[] = {
	OPT_ARG("TYPE", 0, NULL),
	OPT_ARG("FILE.csv", 0, NULL),
	OPT_VALUE("owner", &owner, "PERSON", "the owner of rows whose owner cell is empty or missing"),
	OPT_LIST("map", &maps, "COLUMN=FIELD",
		 "store COLUMN as FIELD (repeatable); FIELD '-' drops the column"),
	OPT_LIST("opt-out-column", &opt_out_columns, "NAME[=VALUE]",
		 "rows whose NAME cell is yes (or VALUE) opted out: suppressed, not imported (repeatable)"),
	OPT_VALUE("id-from", &id_from, "email",
		  "make each id from the address (prefix and hash), for exports without ids"),
	OPT_VALUE("id-column", &id_column, "NAME", "take the ids from column NAME"),
	OPT_VALUE("delimiter", &delimiter, "CHAR",
		  "',', ';' or 'tab' (default: the most frequent in the header row)"),
	OPT_VALUE("encoding", &encoding, "NAME",
		  "the CSV's encoding, e.g. windows-1252 (default: UTF-8; UTF-16 by its BOM)"),
	OPT_VALUE("into", &into, "NAME",
		  "write recipients/TYPE/NAME.yaml (default: from the CSV's name)"),
	OPT_SWITCH("replace", &replace,
		   "replace that file: it then mirrors the CSV (a fresh CRM export)"),
	OPT_SWITCH("skip-invalid", &skip_invalid,
		   "import the valid rows and list the others (default: all or nothing)"),
	OPT_END
};

static int run(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT, config_diags = DIAG_LIST_INIT;
	struct import_request req;
	struct import_result res = { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct config cfg;
	char **args = ctx->args;
	int r, type, code = 1, have_config = 0;

	if (ctx->nargs != 2) {
		if (ctx->nargs > 2)
			cmd_usage_error(ctx, "unexpected argument '%s'", args[2]);
		else
			cmd_usage_error(ctx, "expected the recipient type and the CSV file");
		code = EXIT_USAGE;
		goto done;
	}
	type = parse_type(ctx, args[0]);
	if (type < 0) {
		code = EXIT_USAGE;
		goto done;
	}
	have_config = 1;
	if (config_load(&cfg, ctx->repo, &config_diags) < 0) {
		diag_sort(&config_diags);
		diag_print(stderr, &config_diags);
		cmd_error("cannot read %s; nothing was imported", CONFIG_FILE);
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.type = (enum recipient_type)type;
	req.csv_path = args[1];
	req.owner = owner;
	req.maps = maps.items;
	req.nmaps = maps.count;
	req.into = into;
	req.replace = replace > 0;
	req.skip_invalid = skip_invalid > 0;
	req.opt_out_columns = opt_out_columns.items;
	req.nopt_out_columns = opt_out_columns.count;
	if (delimiter && strcmp(delimiter, ",") && strcmp(delimiter, ";") &&
	    strcmp(delimiter, "tab")) {
		cmd_usage_error(ctx, "invalid --delimiter '%s': ',', ';' or 'tab'", delimiter);
		code = EXIT_USAGE;
		goto done;
	}
	req.delimiter = !delimiter ? 0 : !strcmp(delimiter, "tab") ? '\t' : delimiter[0];
	req.encoding = encoding;
	req.id_from = id_from;
	req.id_column = id_column;
	req.now = clock_now();
	if (req.now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	r = import_csv(&res, ctx->repo, &cfg, &req, &diags);
	print_problems(&diags);
	if (r == IMPORT_USAGE) {
		cmd_usage_error(ctx, "%s", error_last());
		code = EXIT_USAGE;
		goto done;
	}
	if (r < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	cmd_printf("imported %zu record%s into %s (added %zu, changed %zu, removed %zu, skipped %zu invalid)\n",
	       res.records, res.records == 1 ? "" : "s", res.path, res.added, res.changed,
	       res.removed, res.skipped);
	if (res.kept)
		cmd_printf("%zu record%s kept as %s (%s)\n", res.kept, res.kept == 1 ? "" : "s",
			   res.kept == 1 ? "it was" : "they were",
			   res.kept == 1 ? "its row is invalid" : "their rows are invalid");
	if (res.opted_out)
		cmd_printf("%zu opted out: not imported, %zu added to %s (%zu there already)\n",
			   res.opted_out, res.suppressed, SUPPRESSIONS_FILE,
			   res.opted_out - res.suppressed);
	code = 0;
done:
	if (have_config)
		config_release(&cfg);
	import_result_release(&res);
	diag_release(&diags);
	diag_release(&config_diags);
	return code;
}

const struct command cmd_import_entry = {
	.name = "import",
	.summary = "import recipients from a CSV export",
	.description = "Turns a CSV export of a CRM or a spreadsheet into recipients/TYPE/NAME.yaml\n"
		       "(TYPE: contacts, companies or leads), one record a line.  Every row is\n"
		       "checked first: all rows are imported or none, unless --skip-invalid.\n",
	.opts = opts,
	.help_column = 36,
	.notes_add = import_presets_help,
	.flags = NEEDS_REPO,
	.run = run,
};
