/*
 * mailout init: a new content repository (src/initfiles.h), the check that
 * a repository's workflows are current for this version, and the update
 * that makes them so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diag.h"
#include "initfiles.h"
#include "util.h"

static const char *source_arg, *ref_arg;
static int gitlab_flag, systemd_flag, check_flag, update_flag;

static const struct opt_spec opts[] = {
	OPT_ARG("DIR", 0, NULL),
	OPT_SWITCH("gitlab", &gitlab_flag, "also .gitlab-ci.yml (GitLab CI)"),
	OPT_SWITCH("systemd", &systemd_flag, "also deploy/mailout-send.service and .timer"),
	OPT_VALUE("source", &source_arg, "URL", "mailout's git URL for mailout-version\n"
						 "(default: a placeholder to replace)"),
	OPT_VALUE("ref", &ref_arg, "REF", "the tag or commit to pin (default: v" MAILOUT_VERSION ")"),
	OPT_SWITCH("check", &check_flag, "whether the repository's workflows and other\n"
					  "files init wrote are current (exit 1: not)"),
	OPT_SWITCH("update", &update_flag, "rewrite those that are not (or the FILEs given),\n"
					    "keeping the lines marked '# yours'"),
	OPT_END
};

static unsigned option_flags(void)
{
	return (gitlab_flag ? INIT_GITLAB : 0) | (systemd_flag ? INIT_SYSTEMD : 0);
}

static int check_args(struct cmd_ctx *ctx)
{
	if (check_flag && update_flag) {
		cmd_usage_error(ctx, "--check and --update exclude each other");
		return EXIT_USAGE;
	}
	if (check_flag && (ctx->nargs || option_flags() || source_arg || ref_arg)) {
		cmd_usage_error(ctx, "--check takes no DIR and no other option (--repo DIR names the repository)");
		return EXIT_USAGE;
	}
	if (!check_flag && !update_flag && ctx->nargs != 1) {
		cmd_usage_error(ctx, ctx->nargs ? "one DIR, please" : "which directory? (mailout init DIR)");
		return EXIT_USAGE;
	}
	return 0;
}

/* Prints the diagnostics and the error behind a failure. */
static int failed(struct diag_list *diags)
{
	diag_sort(diags);
	diag_print(stderr, diags);
	cmd_error("%s", error_last());
	return 1;
}

static int run_create(const char *dir)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **paths = NULL;
	size_t n = 0, i;
	int code = 0;

	if (init_create(dir, option_flags(), source_arg, ref_arg, &paths, &n, &diags) < 0) {
		code = failed(&diags);
		goto done;
	}
	cmd_printf("created %s: a content repository for mailout %s, committed on branch main\n", dir,
		   MAILOUT_VERSION);
	for (i = 0; i < n; i++)
		cmd_printf("  %s\n", paths[i]);
	if (!source_arg)
		cmd_printf("next: set 'source' in %s/%s to the git URL of your mailout (now a placeholder),\n"
			   "replace the example content, add a remote and push\n",
			   dir, INIT_PIN_FILE);
	else
		cmd_printf("next: replace the example content, add a remote and push\n");
done:
	free_list(paths, n);
	diag_release(&diags);
	return code;
}

/* The repository of --check and --update: --repo, else the enclosing one. */
static int run_existing(struct cmd_ctx *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct init_report report;
	char *root = cmd_find_repo(ctx->repo_arg);
	char **paths = NULL;
	size_t n = 0, i;
	int code = 1;

	memset(&report, 0, sizeof(report));
	if (!root)
		goto done;
	if (update_flag) {
		if (init_update(root, option_flags(), (const char *const *)ctx->args, ctx->nargs,
				source_arg, ref_arg, &paths, &n, &diags) < 0) {
			code = failed(&diags);
			goto done;
		}
		for (i = 0; i < n; i++)
			cmd_printf("updated %s\n", paths[i]);
		if (!n)
			cmd_printf("nothing to update\n");
		code = 0;
		goto done;
	}
	if (init_check(&report, root, &diags) < 0) {
		code = failed(&diags);
		goto done;
	}
	for (i = 0; i < report.count; i++)
		cmd_printf("%s\n", report.lines[i]);
	if (!report.count)
		cmd_printf("%zu files are current for mailout %s\n", report.checked, MAILOUT_VERSION);
	code = report.count ? 1 : 0;
done:
	init_report_release(&report);
	free_list(paths, n);
	diag_release(&diags);
	free(root);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	if (check_flag || update_flag)
		return run_existing(ctx);
	return run_create(ctx->args[0]);
}

const struct command cmd_init_entry = {
	.name = "init",
	.summary = "start a content repository; check its workflows",
	.opts = opts,
	.help_column = 21,
	.notes = "mailout init --check [--repo DIR] and mailout init --update [FILE...] work on an\n"
		 "existing repository.\n",
	.exit_status = "0 done: the repository was written, or (--check) its files are current\n"
		       "1 DIR is not empty or could not be written, or (--check) a file is stale\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.check = check_args,
	.run = run,
};
