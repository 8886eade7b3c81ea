/*
 * mailout suppressions hash: replaces the address of every line of
 * recipients/suppressions.tsv by its hash, keeping the opt-outs (their
 * reasons, times, sources and order) without keeping the addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "publish.h"
#include "safefile.h"
#include "suppressions.h"
#include "yamlfile.h"

static int commit;

static const struct opt_spec opts[] = {
	OPT_ARG("hash", 0, NULL),
	OPT_SWITCH("commit", &commit, "commit the file with libgit2"),
	OPT_END
};

/* Reads and checks the file: 1 read, 0 absent, -1 failed (printed). */
static int read_checked(struct buf *text, const char *root)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct suppressions s;
	int r = content_read(text, root, SUPPRESSIONS_FILE, YAMLFILE_MAX_SIZE, NULL);

	if (r == CONTENT_REFUSED || (r < 0 && errno != ENOENT)) {
		cmd_error("cannot read '%s': %s", SUPPRESSIONS_FILE,
			  r == CONTENT_REFUSED ? error_last() : strerror(errno));
		return -1;
	}
	if (r < 0)
		return 0;
	suppressions_parse(&s, text->ptr, text->len, &diags);
	suppressions_release(&s);
	if (diags.errors) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		cmd_error("%s has errors; nothing was changed", SUPPRESSIONS_FILE);
		diag_release(&diags);
		return -1;
	}
	diag_release(&diags);
	return 1;
}

static int hash_lines(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct publisher *pub = NULL;
	struct buf text = BUF_INIT, out = BUF_INIT;
	static const char *const own[] = { SUPPRESSIONS_FILE };
	struct config cfg;
	size_t converted = 0;
	int code = 1, r;

	memset(&cfg, 0, sizeof(cfg));
	if (commit) {
		if (config_load(&cfg, ctx->repo, &diags) < 0 || diags.errors) {
			diag_sort(&diags);
			diag_print(stderr, &diags);
			cmd_error("%s has errors; nothing was changed", CONFIG_FILE);
			goto done;
		}
		if (publisher_open(&pub, ctx->repo, NULL, cfg.git_author, "suppressions", own, 1) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
	}
	r = read_checked(&text, ctx->repo);
	if (r < 0)
		goto done;
	if (r > 0)
		suppressions_hash_text(&out, text.ptr, text.len, &converted);
	if (!converted) {
		cmd_printf("suppressions: no line of %s holds an address: nothing to hash\n",
			   SUPPRESSIONS_FILE);
		code = 0;
		goto done;
	}
	if (content_write_atomic(ctx->repo, SUPPRESSIONS_FILE, out.ptr, out.len) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	cmd_printf("suppressions: hashed %zu line%s of %s\n", converted, converted == 1 ? "" : "s",
		   SUPPRESSIONS_FILE);
	if (pub && publisher_commit_push(pub, own, 1, "suppressions: hash the addresses") < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	code = 0;
done:
	publisher_free(pub);
	config_release(&cfg);
	diag_release(&diags);
	buf_release(&text);
	buf_release(&out);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	if (ctx->nargs == 0)
		cmd_usage_error(ctx, "missing the action: 'hash'");
	else if (strcmp(ctx->args[0], "hash"))
		cmd_usage_error(ctx, "unknown action '%s': the only one is 'hash'", ctx->args[0]);
	else if (ctx->nargs > 1)
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
	else
		return hash_lines(ctx);
	return EXIT_USAGE;
}

const struct command cmd_suppressions_entry = {
	.name = "suppressions",
	.summary = "hash the addresses of recipients/suppressions.tsv",
	.opts = opts,
	.help_column = 14,
	.notes = "Replaces the address of every line by its hash (sha256:HEX), keeping the\n"
		 "reasons, times, sources and order: the opt-outs stay, the addresses go.\n",
	.exit_status = "0 done: every line holds a hash\n"
		       "1 the file has errors (it is left unchanged) or could not be written\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.run = run,
};
