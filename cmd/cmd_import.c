#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "import.h"
#include "recipients.h"
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

int cmd_import(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct opt opts[] = { { "owner", 1, 0, NULL, NULL, 0 },	    { "map", 2, 0, NULL, NULL, 0 },
			      { "into", 1, 0, NULL, NULL, 0 },	    { "replace", 0, 0, NULL, NULL, 0 },
			      { "skip-invalid", 0, 0, NULL, NULL, 0 }, { NULL, 0, 0, NULL, NULL, 0 } };
	struct diag_list diags = DIAG_LIST_INIT, config_diags = DIAG_LIST_INIT;
	struct import_request req;
	struct import_result res = { NULL, 0, 0, 0, 0, 0 };
	struct config cfg;
	char **args = NULL;
	size_t nargs = 0;
	int r, type, code = 1, have_config = 0;

	r = opts_parse(ctx, argc, argv, opts, &args, &nargs);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	if (nargs != 2) {
		if (nargs > 2)
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
	req.owner = opts[0].value;
	req.maps = opts[1].values;
	req.nmaps = opts[1].nvalues;
	req.into = opts[2].value;
	req.replace = opts[3].seen > 0;
	req.skip_invalid = opts[4].seen > 0;
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
	code = 0;
done:
	if (have_config)
		config_release(&cfg);
	import_result_release(&res);
	diag_release(&diags);
	diag_release(&config_diags);
	opts_release(opts, args);
	return code;
}
