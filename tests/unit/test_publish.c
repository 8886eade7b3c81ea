#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "publish.h"
#include "util.h"
#include "xalloc.h"

/*
 * Real repositories made with the git command line: a bare "remote" with
 * a first commit (a.txt), the run's clone "work" and another runner's
 * clone "other".
 */

static char *base;
static int serial;

struct fx {
	char *dir, *remote, *work, *other;
};

/* a shell command that must work */
#define run(...) assert_int_equal(fixture_run(__VA_ARGS__), 0)

static void expect_file(const char *dir, const char *rel, const char *expected)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, rel), chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	assert_string_equal(b.len ? b.ptr : "", expected);
	buf_release(&b);
	free(path);
}

static int group_setup(void **state)
{
	char *home;

	(void)state;
	base = fixture_tmpdir();
	if (!base)
		return -1;
	home = xasprintf("%s/home", base);
	if (mkdir(home, 0755) < 0 || fixture_write(home, ".gitconfig",
			  "[user]\n\tname = Test Person\n\temail = test@example.com\n"
			  "[init]\n\tdefaultBranch = main\n") < 0)
		return -1;
	setenv("HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	free(home);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fixture_remove(base);
	free(base);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = xasprintf("%s/t%d", base, ++serial);
	f->remote = xasprintf("%s/remote.git", f->dir);
	f->work = xasprintf("%s/work", f->dir);
	f->other = xasprintf("%s/other", f->dir);
	if (mkdir(f->dir, 0755) < 0)
		return -1;
	run("git init -q --bare -b main '%s'", f->remote);
	run("git clone -q '%s' '%s'", f->remote, f->other);
	assert_int_equal(fixture_write(f->other, "a.txt", "a\n"), 0);
	run("cd '%s' && git add -A && git commit -qm first && git push -q origin main", f->other);
	run("git clone -q '%s' '%s'", f->remote, f->work);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->dir);
	free(f->remote);
	free(f->work);
	free(f->other);
	free(f);
	return 0;
}

/* Another runner created our log file first: our lines follow theirs, and
 * our copy's header is not replayed as a line. */
static void test_replay_onto_file_created_by_other(void **state)
{
	struct fx *f = *state;
	const char *files[] = { "log/x.tsv" };
	struct sender_report report;
	struct publisher *p = NULL;

	memset(&report, 0, sizeof(report));
	assert_int_equal(publisher_open(&p, f->work, "origin", NULL, "send", files, 1), 0);
	assert_int_equal(fixture_write(f->other, "log/x.tsv", "#mailout-log v1\nclaim\ttheirs\n"), 0);
	run("cd '%s' && git add -A && git commit -qm theirs && git push -q origin main", f->other);
	assert_int_equal(fixture_write(f->work, "log/x.tsv", "#mailout-log v1\nsent\tours\n"), 0);
	assert_int_equal(publisher_publish(p, files, 1, 0, &report), SENDER_REJECTED);
	assert_int_equal(publisher_catch_up(p, files, 1), 0);
	expect_file(f->work, "log/x.tsv", "#mailout-log v1\nclaim\ttheirs\nsent\tours\n");
	assert_int_equal(publisher_publish(p, files, 1, 0, &report), 0);
	run("cd '%s' && git pull -q", f->other);
	expect_file(f->other, "log/x.tsv", "#mailout-log v1\nclaim\ttheirs\nsent\tours\n");
	publisher_free(p);
}

/* The remote moved in other files only: the publication goes onto the new
 * tip without a rejection reaching the sender. */
static void test_disjoint_publishes_at_once(void **state)
{
	struct fx *f = *state;
	const char *files[] = { "log/ours.tsv" };
	struct sender_report report;
	struct publisher *p = NULL;

	memset(&report, 0, sizeof(report));
	assert_int_equal(publisher_open(&p, f->work, "origin", NULL, "send", files, 1), 0);
	assert_int_equal(fixture_write(f->other, "log/theirs.tsv", "#mailout-log v1\nclaim\tt\n"), 0);
	run("cd '%s' && git add -A && git commit -qm theirs && git push -q origin main", f->other);
	assert_int_equal(fixture_write(f->work, "log/ours.tsv", "#mailout-log v1\nclaim\to\n"), 0);
	assert_int_equal(publisher_publish(p, files, 1, 0, &report), 0);
	expect_file(f->work, "log/theirs.tsv", "#mailout-log v1\nclaim\tt\n");
	run("cd '%s' && git pull -q", f->other);
	expect_file(f->other, "log/ours.tsv", "#mailout-log v1\nclaim\to\n");
	expect_file(f->other, "log/theirs.tsv", "#mailout-log v1\nclaim\tt\n");
	publisher_free(p);
}

/* Two syncs recorded the same opt-out at once: the refused one keeps only
 * what the tip lacks. */
static void test_sync_replay_drops_known_lines(void **state)
{
	struct fx *f = *state;
	const char *files[] = { "recipients/suppressions.tsv" };
	struct publisher *p = NULL;

	assert_int_equal(publisher_open(&p, f->work, "origin", NULL, "unsubscribes", files, 1), 0);
	assert_int_equal(fixture_write(f->other, files[0],
				       "address\treason\ttime\tsource\n"
				       "a@example.net\tunsubscribed\t2026-12-07T08:00:00Z\tone\n"), 0);
	run("cd '%s' && git add -A && git commit -qm theirs && git push -q origin main", f->other);
	assert_int_equal(fixture_write(f->work, files[0],
				       "address\treason\ttime\tsource\n"
				       "a@example.net\tunsubscribed\t2026-12-07T08:00:05Z\tone\n"
				       "b@example.net\tunsubscribed\t2026-12-07T08:00:05Z\tone\n"), 0);
	assert_int_equal(publisher_commit_push(p, files, 1, "unsubscribes: 2"), 0);
	run("cd '%s' && git pull -q", f->other);
	expect_file(f->other, files[0],
		    "address\treason\ttime\tsource\n"
		    "a@example.net\tunsubscribed\t2026-12-07T08:00:00Z\tone\n"
		    "b@example.net\tunsubscribed\t2026-12-07T08:00:05Z\tone\n");
	publisher_free(p);
}

/* Two confirms resolved claims of one account at the same second: in a
 * campaign log only the same line is the same record. */
static void test_log_replay_keeps_other_lines(void **state)
{
	struct fx *f = *state;
	const char *files[] = { "campaigns/c/log/a.tsv" };
	struct publisher *p = NULL;

	assert_int_equal(fixture_write(f->other, files[0], "#mailout-log v1\n"), 0);
	run("cd '%s' && git add -A && git commit -qm log && git push -q origin main", f->other);
	run("cd '%s' && git pull -q", f->work);
	assert_int_equal(publisher_open(&p, f->work, "origin", NULL, "confirm", files, 1), 0);
	assert_int_equal(fixture_append(f->other, files[0],
				       "2026-12-07T09:00:00Z\tconfirmed\tr-1\tSent\t<1@example.com>\n"), 0);
	run("cd '%s' && git commit -qam theirs && git push -q origin main", f->other);
	assert_int_equal(fixture_append(f->work, files[0],
				       "2026-12-07T09:00:00Z\tconfirmed\tr-2\tSent\t<2@example.com>\n"), 0);
	assert_int_equal(publisher_commit_push(p, files, 1, "confirm: 1 log"), 0);
	run("cd '%s' && git pull -q", f->other);
	expect_file(f->other, files[0],
		    "#mailout-log v1\n"
		    "2026-12-07T09:00:00Z\tconfirmed\tr-1\tSent\t<1@example.com>\n"
		    "2026-12-07T09:00:00Z\tconfirmed\tr-2\tSent\t<2@example.com>\n");
	publisher_free(p);
}

/* A remote that refuses without its branch moving: tried again for
 * PUBLISH_STUCK seconds of refusals, then not; a move or a push that went
 * through starts over. */
static void test_watch_stops_when_the_branch_stays(void **state)
{
	const char *a = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
	const char *b = "0d9c8b7a6f5e4d3c2b1a0d9c8b7a6f5e4d3c2b1a";
	const char *why = "push to 'origin' rejected: 'main' is locked";
	struct push_watch w;

	(void)state;
	push_watch_reset(&w);
	assert_int_equal(push_watch_refused(&w, a, why, 1000), 0);
	assert_int_equal(push_watch_refused(&w, a, why, 1000 + PUBLISH_STUCK - 1), 0);
	assert_int_equal(push_watch_refused(&w, a, why, 1000 + PUBLISH_STUCK), -1);
	assert_string_equal(error_last(),
			    "push to 'origin' rejected: 'main' is locked; the remote's branch stayed at "
			    "1a2b3c4d5e6f for 20 s while it refused every push, so pushing again cannot help");

	/* it moved: the time counts from the new tip */
	assert_int_equal(push_watch_refused(&w, b, why, 1030), 0);
	assert_int_equal(push_watch_refused(&w, b, why, 1030 + PUBLISH_STUCK - 1), 0);
	assert_int_equal(push_watch_refused(&w, a, why, 1030 + PUBLISH_STUCK), 0);
	assert_int_equal(push_watch_refused(&w, a, why, 1030 + 2 * PUBLISH_STUCK), -1);

	/* a push went through in between */
	push_watch_reset(&w);
	assert_int_equal(push_watch_refused(&w, a, why, 2000 + PUBLISH_STUCK), 0);
	assert_int_equal(push_watch_refused(&w, a, why, 2000 + 2 * PUBLISH_STUCK - 1), 0);

	/* a remote without the branch stays without it */
	push_watch_reset(&w);
	assert_int_equal(push_watch_refused(&w, "", why, 3000), 0);
	assert_int_equal(push_watch_refused(&w, "", why, 3000 + PUBLISH_STUCK), -1);
	assert_string_equal(error_last(),
			    "push to 'origin' rejected: 'main' is locked; the remote had no such branch "
			    "for 20 s while it refused every push, so pushing again cannot help");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replay_onto_file_created_by_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disjoint_publishes_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_replay_drops_known_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_replay_keeps_other_lines, setup, teardown),
		cmocka_unit_test(test_watch_stops_when_the_branch_stays),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
