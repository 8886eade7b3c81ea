/*
 * mailout: the command table and the dispatcher.
 */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "plan.h"
#include "schedule.h"
#include "util.h"
#include "workpool.h"
#include "xalloc.h"

static const struct command *const commands[] = {
	&cmd_validate_entry, &cmd_build_entry,	 &cmd_status_entry, &cmd_preview_entry,
	&cmd_proof_entry,    &cmd_send_entry,	 &cmd_retry_entry,  &cmd_pause_entry,
	&cmd_resume_entry,   &cmd_merge_entry,	 &cmd_new_entry,    &cmd_import_entry,
	&cmd_export_entry,   &cmd_unsubscribes_entry, &cmd_bounces_entry, &cmd_confirm_entry,
	&cmd_accounts_entry, &cmd_serve_entry,	 &cmd_init_entry,
	&cmd_suppressions_entry, &cmd_forget_entry,
	NULL
};

static const struct command *find_command(const char *name)
{
	const struct command *const *c;

	for (c = commands; *c; c++) {
		if (!strcmp((*c)->name, name))
			return *c;
	}
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[32];
	const char *hint;
	size_t n = 0;
	const struct command *const *c;

	for (c = commands; *c && n < 31; c++)
		names[n++] = (*c)->name;
	names[n++] = "help";
	hint = suggest_closest(name, names, n);
	if (hint)
		cmd_error("unknown command '%s' (did you mean '%s'?)", name, hint);
	else
		cmd_error("unknown command '%s'; 'mailout --help' lists the commands", name);
	return EXIT_USAGE;
}

/* `mailout help [--man] [COMMAND]`: the overview or a command's help, as
 * text or as a man page. */
static int help(int argc, char **argv)
{
	int man = argc > 0 && !strcmp(argv[0], "--man");
	const struct command *c;

	argc -= man;
	argv += man;
	if (argc < 1) {
		if (man)
			cmd_print_man_overview(commands);
		else
			cmd_print_overview(stdout, commands);
		return 0;
	}
	c = find_command(argv[0]);
	if (!c)
		return unknown_command(argv[0]);
	if (man)
		cmd_print_man(c);
	else
		cmd_print_help(c);
	return 0;
}

/* The directory holding mailout.yaml: dir itself, or the first parent of
 * the current directory that has one. */
char *cmd_find_repo(const char *dir)
{
	char cwd[PATH_MAX];
	struct stat st;
	char *path;
	size_t len;

	if (dir) {
		path = xasprintf("%s/%s", dir, CONFIG_FILE);
		if (lstat(path, &st) < 0) {
			cmd_error("no %s in '%s'", CONFIG_FILE, dir);
			free(path);
			return NULL;
		}
		free(path);
		return xstrdup(dir);
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		cmd_error("cannot read the current directory: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		path = xasprintf("%s/%s", *cwd ? cwd : "/", CONFIG_FILE);
		if (lstat(path, &st) == 0) {
			free(path);
			return xstrdup(*cwd ? cwd : "/");
		}
		free(path);
		len = strlen(cwd);
		while (len > 0 && cwd[len - 1] != '/')
			len--;
		if (len <= 1 && !*cwd)
			break;
		if (len == 0)
			break;
		cwd[len - 1] = '\0';
		if (len == 1) {
			/* reached "/": try it once more, then stop */
			path = xasprintf("/%s", CONFIG_FILE);
			if (lstat(path, &st) == 0) {
				free(path);
				return xstrdup("/");
			}
			free(path);
			break;
		}
	}
	cmd_error("not in a mailout repository (no %s here or in any parent); use --repo DIR",
		  CONFIG_FILE);
	return NULL;
}

/* MAILOUT_NOW must be a time mailout can use (its zone comes later, with
 * the repository: here only the form and the range are checked). */
static int check_clock(void)
{
	const char *now = getenv("MAILOUT_NOW");
	time_t t;

	if (time_parse_local(now, NULL, &t) < 0) {
		cmd_error("invalid MAILOUT_NOW '%s': %s", now, error_last());
		return -1;
	}
	if (t < 0 || t > (time_t)253402300799LL) {
		cmd_error("invalid MAILOUT_NOW '%s': a time from 1970 to 9999", now);
		return -1;
	}
	return 0;
}

/* The campaigns the arguments name (CAMPAIGN_ARG: the first, when given;
 * CAMPAIGN_ARGS: every one): 0, or -1 after "unknown campaign". */
static int resolve_campaigns(struct cmd_ctx *ctx)
{
	size_t i, n = ctx->command->flags & CAMPAIGN_ARGS ? ctx->nargs : ctx->nargs > 0;

	ctx->campaigns = xcalloc(n + 1, sizeof(*ctx->campaigns));
	for (i = 0; i < n; i++) {
		ctx->campaigns[i] = cmd_find_campaign(ctx->plan, ctx->args[i]);
		if (!ctx->campaigns[i])
			return -1;
	}
	ctx->campaign = ctx->campaigns[0];
	return 0;
}

/* The command's options, check, plan and campaigns, then its run. */
static int run_command(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct command *c = ctx->command;
	int r, code = 1;

	r = opts_parse(ctx, argc, argv);
	if (r) {
		code = r > 0 ? 0 : EXIT_USAGE;
		goto done;
	}
	if (c->check) {
		code = c->check(ctx);
		if (code)
			goto done;
		code = 1;
	}
	if (c->flags & (NEEDS_PLAN | CAMPAIGN_ARG | CAMPAIGN_ARGS)) {
		ctx->plan = cmd_open_plan(ctx, NULL, 0);
		if (!ctx->plan)
			goto done;
	}
	if ((c->flags & (CAMPAIGN_ARG | CAMPAIGN_ARGS)) && resolve_campaigns(ctx) < 0)
		goto done;
	code = c->run(ctx);
done:
	free(ctx->campaigns);
	plan_close(ctx->plan);
	opts_release(c->opts, ctx->args);
	return code;
}

static int finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "mailout: cannot write the output: %s\n", strerror(errno));
		return 1;
	}
	return code;
}

int main(int argc, char **argv)
{
	const char *repo_arg = NULL;
	const struct command *c;
	struct cmd_ctx ctx;
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	char *repo = NULL;
	int i, n = 0, code;

	/* --repo DIR is global: take it out wherever it stands. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				args[n++] = argv[i];
			break;
		}
		if (!strcmp(argv[i], "--repo")) {
			if (i + 1 >= argc) {
				cmd_error("option '--repo' needs a value");
				free(args);
				return EXIT_USAGE;
			}
			repo_arg = argv[++i];
		} else if (!strncmp(argv[i], "--repo=", 7)) {
			repo_arg = argv[i] + 7;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n == 0) {
		cmd_print_overview(stderr, commands);
		free(args);
		return EXIT_USAGE;
	}
	if (!strcmp(args[0], "--help") || !strcmp(args[0], "-h")) {
		cmd_print_overview(stdout, commands);
		free(args);
		return finish(0);
	}
	if (!strcmp(args[0], "--version")) {
		printf("mailout %s\n", MAILOUT_VERSION);
		free(args);
		return finish(0);
	}
	if (!strcmp(args[0], "help")) {
		code = help(n - 1, args + 1);
		free(args);
		return finish(code);
	}
	if (args[0][0] == '-') {
		cmd_error("unknown option '%s'; 'mailout --help' lists the commands and options",
			  args[0]);
		free(args);
		return EXIT_USAGE;
	}
	c = find_command(args[0]);
	if (!c) {
		code = unknown_command(args[0]);
		free(args);
		return code;
	}
	if (getenv("MAILOUT_NOW") && check_clock() < 0) {
		free(args);
		return EXIT_USAGE;
	}
	if (workpool_threads_check() < 0) {
		cmd_error("%s", error_last());
		free(args);
		return EXIT_USAGE;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.name = c->name;
	ctx.command = c;
	if (c->flags & NEEDS_REPO) {
		int wants_help = 0;
		for (i = 1; i < n; i++)
			wants_help |= !strcmp(args[i], "--help") || !strcmp(args[i], "-h");
		if (!wants_help) {
			repo = cmd_find_repo(repo_arg);
			if (!repo) {
				free(args);
				return 1;
			}
		}
		ctx.repo = repo;
	} else {
		ctx.repo_arg = repo_arg;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	code = run_command(&ctx, n - 1, args + 1);
	curl_global_cleanup();
	free(repo);
	free(args);
	return finish(code);
}
