/*
 * Messages rendered per second: the whole message the sender hands to SMTP
 * (token, Message-ID, text and HTML parts, MIME assembly) for every
 * recipient of one campaign, over and over for about two seconds on one
 * core.
 *
 *   bench_render [REPO [CAMPAIGN [SECONDS]]]
 *
 * Defaults: the current directory, december-update-dach, 2.  The plan is
 * built in a temporary directory, so REPO/build is left alone.  Prints
 * "render: N messages/s".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "plan.h"
#include "render.h"
#include "token.h"
#include "util.h"
#include "xalloc.h"

#define SECRET "bench-secret-bench-secret-bench-secret-0123456789"

struct target {
	struct recipient rec;
	struct plan_recipient_holder holder;
	const struct account *account;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void remove_dir(const char *dir)
{
	char **names = NULL;
	int n = list_dir(&names, dir, NULL, 0), i;

	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		unlink(path);
		free(path);
	}
	free_list(names, n > 0 ? (size_t)n : 0);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : ".";
	const char *id = argc > 2 ? argv[2] : "december-update-dach";
	double seconds = argc > 3 ? strtod(argv[3], NULL) : 2.0, start, elapsed;
	char tmpl[] = "/tmp/mailout-bench-XXXXXX";
	struct diag_list diags = DIAG_LIST_INIT;
	struct token_keys *keys = NULL;
	struct render *r = NULL;
	struct plan *p = NULL;
	struct target *targets = NULL;
	const struct campaign *c;
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0, i;
	long messages = 0;
	char *dir = mkdtemp(tmpl);
	int code = 1;

	if (!dir) {
		perror("bench_render: mkdtemp");
		return 1;
	}
	if (plan_open(&p, root, dir, PLAN_REBUILD, &diags) < 0) {
		diag_print(stderr, &diags);
		fprintf(stderr, "bench_render: %s\n", error_last());
		goto done;
	}
	c = campaigns_find(&p->campaigns, id);
	if (!c) {
		fprintf(stderr, "bench_render: unknown campaign '%s'\n", id);
		goto done;
	}
	if (token_keys_from_secret(&keys, SECRET, NULL) < 0 ||
	    render_open(&r, root, &p->cfg, c, &diags) < 0 ||
	    plan_prepare(p, &st, "SELECT recipient, account FROM deliveries WHERE campaign = ? ORDER BY ord") < 0) {
		diag_print(stderr, &diags);
		fprintf(stderr, "bench_render: %s\n", error_last());
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *account = (const char *)sqlite3_column_text(st, 1);

		XGROW(targets, cap, n + 1);
		memset(&targets[n], 0, sizeof(targets[n]));
		targets[n].account = account ? config_account(&p->cfg, account) : NULL;
		if (!targets[n].account ||
		    plan_recipient(p, c->type, (const char *)sqlite3_column_text(st, 0),
				   &targets[n].rec, &targets[n].holder) != 0) {
			plan_recipient_holder_release(&targets[n].holder);
			continue;
		}
		n++;
	}
	if (!n) {
		fprintf(stderr, "bench_render: campaign '%s' has no recipient with an account\n", id);
		goto done;
	}
	start = now_seconds();
	do {
		for (i = 0; i < n; i++) {
			char *token = token_make(keys, c->id, targets[i].rec.id);

			buf_reset(&msg);
			if (!token || render_mime(&msg, r, &targets[i].rec, targets[i].account, token,
						  time(NULL), NULL, NULL) < 0) {
				fprintf(stderr, "bench_render: %s\n", error_last());
				free(token);
				goto done;
			}
			free(token);
			messages++;
		}
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	printf("render: %.0f messages/s (%ld messages of %zu recipients in %.2f s, %zu bytes the last)\n",
	       (double)messages / elapsed, messages, n, elapsed, msg.len);
	code = 0;
done:
	for (i = 0; i < n; i++)
		plan_recipient_holder_release(&targets[i].holder);
	free(targets);
	sqlite3_finalize(st);
	buf_release(&msg);
	render_free(r);
	token_keys_free(keys);
	plan_close(p);
	diag_release(&diags);
	remove_dir(dir);
	return code;
}
