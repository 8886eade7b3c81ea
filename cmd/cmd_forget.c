/*
 * mailout forget: an erasure request.  The person's records go, the
 * address becomes its hash in the results, an erased suppression keeps the
 * person from being mailed or imported again; --check-history finds the
 * commits that still hold the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "forget.h"
#include "githistory.h"
#include "gitrepo.h"
#include "publish.h"
#include "schedule.h"
#include "util.h"
#include "xalloc.h"

/* How long a refused push is tried again while the remote keeps moving. */
#define FORGET_PUSH_GRACE (15 * 60)

static int commit_flag, check_history;
static const char *push_remote;

static const struct opt_spec opts[] = {
	OPT_ARG("ADDRESS...", 0, NULL),
	OPT_SWITCH("commit", &commit_flag, "commit the files changed (the message names no address)"),
	OPT_VALUE("push", &push_remote, "REMOTE", "commit and push to REMOTE"),
	OPT_SWITCH("check-history", &check_history,
		   "change nothing: list the commits whose files still hold the address"),
	OPT_END
};

/* The addresses, lower-cased and each once (in ctx->args' order). */
static char **addresses;
static size_t naddresses;

static int check_args(struct cmd_ctx *ctx)
{
	const char *why;
	size_t i, j;

	if (!ctx->nargs) {
		cmd_usage_error(ctx, "expected the address to erase");
		return EXIT_USAGE;
	}
	if (check_history && (commit_flag || push_remote)) {
		cmd_usage_error(ctx, "--check-history changes nothing: it takes no --commit or --push");
		return EXIT_USAGE;
	}
	addresses = xcalloc(ctx->nargs + 1, sizeof(char *));
	for (i = 0; i < ctx->nargs; i++) {
		if (address_check(ctx->args[i], &why) < 0) {
			cmd_usage_error(ctx, "invalid address '%s': %s", ctx->args[i], why);
			return EXIT_USAGE;
		}
		addresses[naddresses] = xstrdup(ctx->args[i]);
		str_lower(addresses[naddresses]);
		for (j = 0; j < naddresses && strcmp(addresses[j], addresses[naddresses]); j++)
			;
		if (j < naddresses)
			free(addresses[naddresses]);
		else
			naddresses++;
	}
	return 0;
}

/* --check-history */
static int history_match(const char *text, size_t len, void *payload)
{
	size_t i;

	(void)payload;
	for (i = 0; i < naddresses; i++)
		if (forget_find(text, len, addresses[i]))
			return 1;
	return 0;
}

static int history_hit(const struct githistory_hit *hit, void *payload)
{
	struct tm tm;
	char date[16];
	size_t i, *count = payload;

	gmtime_r(&hit->time, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	cmd_printf("%.12s %s", hit->id, date);
	for (i = 0; i < hit->npaths; i++)
		cmd_printf(" %s", hit->paths[i]);
	printf("\n");
	(*count)++;
	return 0;
}

static int run_check_history(struct cmd_ctx *ctx)
{
	struct githistory_stats stats;
	size_t hits = 0;

	if (githistory_search(ctx->repo, history_match, NULL, history_hit, &hits, &stats) < 0) {
		cmd_error("%s", error_last());
		return 1;
	}
	if (hits)
		fprintf(stderr, "forget: %zu of %zu commits hold the address%s (%zu files read): "
				"the history must be rewritten (README: Erasure and access requests)\n",
			hits, stats.commits, naddresses > 1 ? "es" : "", stats.blobs);
	else
		fprintf(stderr, "forget: none of %zu commits holds the address%s (%zu files read)\n",
			stats.commits, naddresses > 1 ? "es" : "", stats.blobs);
	return hits ? 1 : 0;
}

/* What one run changed, per file. */
static void print_changes(const struct forget_result *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		const struct forget_file *f = &r->files[i];
		const char *sep = "";

		cmd_printf("%s:", f->path);
		if (f->records) {
			printf(" %zu record%s removed", f->records, f->records == 1 ? "" : "s");
			sep = ",";
		}
		if (f->replaced) {
			printf("%s %zu address%s replaced by %s hash", sep, f->replaced,
			       f->replaced == 1 ? "" : "es", f->replaced == 1 ? "its" : "their");
			sep = ",";
		}
		if (f->hashed) {
			printf("%s %zu line%s hashed", sep, f->hashed, f->hashed == 1 ? "" : "s");
			sep = ",";
		}
		if (f->added)
			printf("%s %zu erased line%s added", sep, f->added, f->added == 1 ? "" : "s");
		printf("\n");
	}
}

/* The working-tree paths of the files r changes (free_list). */
static char **changed_paths(struct gitrepo *g, const struct forget_result *r)
{
	char **paths = xcalloc(r->nfiles + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		paths[i] = gitrepo_path(g, r->files[i].path);
	return paths;
}

/* With --commit: the files forget changes must hold nothing uncommitted,
 * or the commit would take it along. */
static int check_clean(struct gitrepo *g, const struct forget_result *r)
{
	char **paths = changed_paths(g, r);
	int *changed = xcalloc(r->nfiles + 1, sizeof(int));
	size_t i;
	int ret = 0;

	if (gitrepo_changed_paths(g, (const char *const *)paths, r->nfiles, changed) < 0)
		ret = -1;
	for (i = 0; !ret && i < r->nfiles; i++)
		if (changed[i])
			ret = error_set("'%s' has uncommitted changes: commit or discard them first",
					r->files[i].path);
	free_list(paths, r->nfiles);
	free(changed);
	return ret;
}

/* The remote's tip the erasure was made on ("" before, or when the remote
 * has no such branch). */
static char erased_on[41];

/* The branch onto the remote's tip before anything is erased, never
 * dropping a commit the remote lacks. */
static int onto_tip(struct gitrepo *g, const char *root)
{
	const char *none[1] = { NULL };
	char tip[41], head[41];
	int r;

	if (gitrepo_fetch(g, push_remote, tip) < 0 || gitrepo_head_oid(g, head) < 0)
		return -1;
	snprintf(erased_on, sizeof(erased_on), "%s", *tip ? tip : head);
	if (!*tip || !strcmp(tip, head))
		return 0;
	if (*head) {
		r = githistory_contains(root, tip, head);
		if (r < 0)
			return -1;
		if (!r)
			return error_set("the branch has commits that '%s' lacks: push or rebase them first",
					 push_remote);
	}
	return gitrepo_reset_hard(g, tip, none, 0);
}

/* After a refused push: our erasure commit (the only one the remote
 * lacks) is dropped for the remote's new tip, the files it changed (paths)
 * as on that tip, so that the erasure is made again there: 0.  A remote
 * that did not move refused for another reason: 1 to push again as we
 * are (a push elsewhere held the lock), until the sender's rule of
 * PUBLISH_STUCK seconds says it cannot help.  One that moved away from our
 * base was rewritten: -1 with why. */
static int onto_new_tip(struct gitrepo *g, const char *root, const char *const *paths, size_t n,
			struct push_watch *watch)
{
	char *refused = xstrdup(error_last()), tip[41];
	int r, ret = -1;

	if (gitrepo_fetch(g, push_remote, tip) < 0 ||
	    push_watch_refused(watch, tip, refused, time(NULL)) < 0)
		goto done;
	if (!strcmp(tip, erased_on)) {
		ret = 1;
		goto done;
	}
	if (*erased_on && *tip) {
		r = githistory_contains(root, tip, erased_on);
		if (r < 0)
			goto done;
		if (!r) {
			error_set("'%s' was rewritten meanwhile (%.12s is no longer on it): fetch and look before erasing again",
				  push_remote, erased_on);
			goto done;
		}
	}
	if (gitrepo_reset_hard(g, tip, paths, n) < 0)
		goto done;
	snprintf(erased_on, sizeof(erased_on), "%s", tip);
	ret = 0;
done:
	free(refused);
	return ret;
}

static void pause_a_little(int attempt)
{
	struct timespec ts;
	long ms = (40L << (attempt < 5 ? attempt : 5)) / 2 + rand() % 20;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* One erasure: prepared, checked, written, printed and committed.  1 when
 * files changed. */
static int erase_once(struct cmd_ctx *ctx, struct gitrepo *g, const char *author, time_t now,
		      struct forget_result *r)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char **paths = NULL, *message = NULL;
	int committed = 0, ret = -1;

	forget_result_release(r);
	if (forget_prepare(r, ctx->repo, (const char *const *)addresses, naddresses, now, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (!diags.errors)
			cmd_error("%s", error_last());
		else
			cmd_error("nothing was changed: fix the files above first");
		goto done;
	}
	if (g && r->nfiles && check_clean(g, r) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (forget_apply(r, ctx->repo) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	print_changes(r);
	if (g && r->nfiles) {
		paths = changed_paths(g, r);
		message = xasprintf("forget: erase %zu person%s", naddresses, naddresses == 1 ? "" : "s");
		if (gitrepo_commit(g, (const char *const *)paths, r->nfiles, author, message,
				   &committed) < 0) {
			cmd_error("%s", error_last());
			goto done;
		}
		if (committed)
			cmd_printf("committed: %s\n", message);
	}
	ret = r->nfiles > 0;
done:
	if (paths)
		free_list(paths, r->nfiles);
	free(message);
	diag_release(&diags);
	return ret;
}

/* Pushes; when a refused push finds the remote moved, the erasure is made
 * again on its new tip (it is idempotent), for as long as it keeps moving;
 * when it did not move, the same commit is pushed again (onto_new_tip). */
static int push_erasure(struct cmd_ctx *ctx, struct gitrepo *g, const char *author, time_t now,
			struct forget_result *r)
{
	time_t deadline = time(NULL) + FORGET_PUSH_GRACE;
	struct push_watch watch;
	int attempt = 0, rc;

	push_watch_reset(&watch);
	while ((rc = gitrepo_push(g, push_remote)) == GITREPO_REJECTED) {
		char **paths = changed_paths(g, r);
		size_t n = r->nfiles;

		if (time(NULL) > deadline) {
			free_list(paths, n);
			rc = error_set("the remote kept moving for %d minutes", FORGET_PUSH_GRACE / 60);
			break;
		}
		pause_a_little(attempt++);
		rc = onto_new_tip(g, ctx->repo, (const char *const *)paths, n, &watch);
		free_list(paths, n);
		if (rc < 0)
			break;
		if (rc == 1)
			continue;
		cmd_printf("forget: '%s' moved meanwhile: erasing again on its tip\n", push_remote);
		if (erase_once(ctx, g, author, now, r) < 0)
			return -1;
	}
	if (rc < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	cmd_printf("pushed to %s\n", push_remote);
	return 0;
}

static int report_leftovers(struct cmd_ctx *ctx, struct forget_result *r)
{
	size_t i;

	if (forget_find_leftovers(r, ctx->repo, (const char *const *)addresses, naddresses) < 0) {
		cmd_error("%s", error_last());
		return -1;
	}
	for (i = 0; i < r->nleftovers; i++)
		cmd_fprintf(stderr, "%s:%d:%d: warning: '%s' is still here: remove it by hand\n",
			    r->leftovers[i].path, r->leftovers[i].line, r->leftovers[i].col,
			    addresses[r->leftovers[i].address]);
	if (!r->tracked_checked)
		fprintf(stderr, "forget: not in a git repository: other files were not searched\n");
	return (int)(r->nleftovers > 0);
}

static int run_forget(struct cmd_ctx *ctx)
{
	struct config cfg;
	struct diag_list cdiags = DIAG_LIST_INIT;
	struct forget_result r;
	struct gitrepo *g = NULL;
	time_t now = clock_now();
	int changed, left, code = 1;

	memset(&r, 0, sizeof(r));
	config_load(&cfg, ctx->repo, &cdiags);
	if (now == (time_t)-1) {
		cmd_error("%s", error_last());
		goto done;
	}
	if ((commit_flag || push_remote) && gitrepo_open(&g, ctx->repo) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	if (push_remote && onto_tip(g, ctx->repo) < 0) {
		cmd_error("%s", error_last());
		goto done;
	}
	changed = erase_once(ctx, g, cfg.git_author, now, &r);
	if (changed < 0)
		goto done;
	if (push_remote && push_erasure(ctx, g, cfg.git_author, now, &r) < 0)
		goto done;
	if (!changed)
		cmd_printf("forget: nothing to change: %s already erased from the working tree\n",
			   naddresses == 1 ? "the address is" : "the addresses are");
	left = report_leftovers(ctx, &r);
	if (left < 0)
		goto done;
	code = left;
done:
	forget_result_release(&r);
	gitrepo_free(g);
	config_release(&cfg);
	diag_release(&cdiags);
	return code;
}

static int run(struct cmd_ctx *ctx)
{
	int code = check_history ? run_check_history(ctx) : run_forget(ctx);

	free_list(addresses, naddresses);
	addresses = NULL;
	naddresses = 0;
	return code;
}

const struct command cmd_forget_entry = {
	.name = "forget",
	.summary = "erase a person: records, addresses in results, history check",
	.opts = opts,
	.help_column = 24,
	.notes = "Records with the address are removed, the address becomes its hash in the\n"
		 "campaigns' logs and in recipients/suppressions.tsv, and an 'erased' suppression\n"
		 "keeps the person out of later imports and sends.  Exit 1 when a file still\n"
		 "holds the address (each is listed) or, with --check-history, a commit does.\n",
	.exit_status = "0 done: nothing holds the address any more (or, with --check-history,\n"
		       "  no commit does)\n"
		       "1 a file or a commit still holds it, or the files could not be read or written\n"
		       "2 usage: an unknown option, a missing or extra argument\n",
	.flags = NEEDS_REPO,
	.check = check_args,
	.run = run,
};
