#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "gitrepo.h"
#include "util.h"
#include "xalloc.h"

#include "server.h"

/*
 * Real repositories made with the git command line in a temporary
 * directory: a bare "remote" and a clone "work" with a first commit of
 *   a.txt b.txt d.txt e.txt log.tsv .gitignore (ignoring ignored/)
 * pushed to the remote's main.
 */

static char *base; /* the group's directory; HOME points into it */
static int serial;

struct fx {
	char *dir, *remote, *work;
	struct gitrepo *g;
};

/* a shell command that must work */
#define run(...) assert_int_equal(fixture_run(__VA_ARGS__), 0)

/* The output of a command, without its final newline (malloc'd). */
static char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *capture(const char *fmt, ...)
{
	struct buf cmd = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&out, chunk, n);
	assert_int_equal(pclose(p), 0);
	while (out.len && out.ptr[out.len - 1] == '\n')
		buf_truncate(&out, out.len - 1);
	buf_release(&cmd);
	return buf_detach(&out, NULL);
}

static void expect_capture(const char *expected, const char *cmd)
{
	char *out = capture("%s", cmd);

	assert_string_equal(out, expected);
	free(out);
}

static char *rev_parse(const char *repo, const char *rev)
{
	return capture("git -C '%s' rev-parse '%s'", repo, rev);
}

static void put(const char *dir, const char *rel, const char *content)
{
	assert_int_equal(fixture_write(dir, rel, content), 0);
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
			  "[init]\n\tdefaultBranch = main\n"
			  "[advice]\n\tdetachedHead = false\n") < 0)
		return -1;
	/* libgit2 reads HOME when it starts: before the first gitrepo call */
	setenv("HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("MAILOUT_GIT_TOKEN");
	unsetenv("GITHUB_TOKEN");
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
	if (mkdir(f->dir, 0755) < 0)
		return -1;
	run("git init -q --bare -b main '%s'", f->remote);
	run("git init -q -b main '%s'", f->work);
	put(f->work, "a.txt", "a\n");
	put(f->work, "b.txt", "b\n");
	put(f->work, "d.txt", "d\n");
	put(f->work, "e.txt", "e\n");
	put(f->work, "log.tsv", "claim\tc-1\n");
	put(f->work, ".gitignore", "ignored/\n");
	run("git -C '%s' add -A && git -C '%s' commit -q -m first", f->work, f->work);
	run("git -C '%s' remote add origin '%s' && git -C '%s' push -q origin main", f->work,
	    f->remote, f->work);
	run("git -C '%s' branch -q -u origin/main", f->work);
	assert_int_equal(gitrepo_open(&f->g, f->work), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gitrepo_free(f->g);
	free(f->dir);
	free(f->remote);
	free(f->work);
	free(f);
	return 0;
}

/* The blob ids a build compares are git's own: empty, text, and a file of
 * a megabyte with every byte value, against git hash-object. */
static void test_blob_id(void **state)
{
	struct fx *f = *state;
	static const char *const texts[] = { "", "- { id: c-1, email: a@example.com }\n" };
	char id[41], *path, *cmd, *want;
	struct buf big = BUF_INIT;
	size_t i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(fixture_write(f->dir, "blob.txt", texts[i]), 0);
		gitrepo_blob_id(id, texts[i], strlen(texts[i]));
		want = capture("git hash-object '%s/blob.txt'", f->dir);
		assert_string_equal(id, want);
		free(want);
	}
	for (i = 0; i < ((size_t)1 << 20); i++)
		buf_addc(&big, (char)(i * 131 % 256));
	path = xasprintf("%s/big.bin", f->dir);
	{
		FILE *out = fopen(path, "wb");
		assert_non_null(out);
		assert_int_equal(fwrite(big.ptr, 1, big.len, out), big.len);
		assert_int_equal(fclose(out), 0);
	}
	gitrepo_blob_id(id, big.ptr, big.len);
	cmd = xasprintf("git hash-object '%s'", path);
	expect_capture(id, cmd);
	free(cmd);
	free(path);
	buf_release(&big);
}

static void test_open(void **state)
{
	struct fx *f = *state;
	struct gitrepo *sub = NULL;
	char *root = xasprintf("%s/content/inner", f->work), *wd = xasprintf("%s/", f->work);
	char *path, *outside = xasprintf("%s/plain", f->dir), *msg;

	assert_string_equal(gitrepo_workdir(f->g), wd);
	assert_string_equal(gitrepo_prefix(f->g), "");
	put(f->work, "content/inner/mailout.yaml", "x: 1\n");
	assert_int_equal(gitrepo_open(&sub, root), 0);
	assert_string_equal(gitrepo_workdir(sub), wd);
	assert_string_equal(gitrepo_prefix(sub), "content/inner/");
	path = gitrepo_path(sub, "campaigns/x/log/a.tsv");
	assert_string_equal(path, "content/inner/campaigns/x/log/a.tsv");
	assert_string_equal(gitrepo_root_path(sub, path), "campaigns/x/log/a.tsv");
	assert_null(gitrepo_root_path(sub, "content/other.yaml"));
	free(path);
	gitrepo_free(sub);

	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(gitrepo_open(&sub, outside), -1);
	assert_null(sub);
	msg = xasprintf("'%s' is not in a git repository", outside);
	assert_string_equal(error_last(), msg);
	free(msg);
	assert_int_equal(gitrepo_open(&sub, f->remote), -1);
	msg = xasprintf("the git repository of '%s' is bare: it has no working tree", f->remote);
	assert_string_equal(error_last(), msg);
	free(msg);
	free(outside);
	free(root);
	free(wd);
}

static void test_head_and_branch(void **state)
{
	struct fx *f = *state;
	struct gitrepo *fresh = NULL;
	char oid[41], *expected = rev_parse(f->work, "HEAD"), *dir;
	const char *paths[] = { "a.txt" };
	int committed = -1;

	assert_int_equal(gitrepo_head_oid(f->g, oid), 0);
	assert_string_equal(oid, expected);
	assert_string_equal(gitrepo_branch(f->g), "main");
	assert_int_equal(gitrepo_is_shallow(f->g), 0);

	run("git -C '%s' checkout -q --detach", f->work);
	assert_null(gitrepo_branch(f->g));
	put(f->work, "a.txt", "a\nchanged\n");
	assert_int_equal(gitrepo_commit(f->g, paths, 1, NULL, "x", &committed), -1);
	assert_int_equal(committed, 0);
	assert_string_equal(error_last(), "HEAD is detached: check out a branch to commit");
	assert_int_equal(gitrepo_push(f->g, "origin"), -1);
	assert_string_equal(error_last(), "HEAD is detached: check out a branch to push");

	dir = xasprintf("%s/fresh", f->dir);
	run("git init -q -b trunk '%s'", dir);
	assert_int_equal(gitrepo_open(&fresh, dir), 0);
	assert_int_equal(gitrepo_head_oid(fresh, oid), 0);
	assert_string_equal(oid, "");
	assert_string_equal(gitrepo_branch(fresh), "trunk");
	assert_int_equal(gitrepo_push(fresh, f->remote), -1);
	assert_string_equal(error_last(), "nothing to push: 'trunk' has no commit yet");
	gitrepo_free(fresh);
	free(dir);
	free(expected);
}

static void test_commit_exact_paths(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { "a.txt", "c.txt", "e.txt" };
	char *before, *after, *cmd;
	int committed = -1;

	put(f->work, "a.txt", "a\na2\n");
	put(f->work, "b.txt", "b\nb2\n"); /* modified, not ours */
	put(f->work, "c.txt", "c\n"); /* new */
	put(f->work, "d.txt", "d\nd2\n");
	run("git -C '%s' add d.txt", f->work); /* staged, not ours */
	run("rm '%s/e.txt'", f->work); /* deleted */
	before = rev_parse(f->work, "HEAD");
	assert_int_equal(gitrepo_commit(f->g, paths, 3, "Ann Example <ann@example.com>",
					"send: 1 sent", &committed), 0);
	assert_int_equal(committed, 1);

	cmd = xasprintf("git -C '%s' show --name-status --format= HEAD", f->work);
	expect_capture("M\ta.txt\nA\tc.txt\nD\te.txt", cmd);
	free(cmd);
	cmd = xasprintf("git -C '%s' log -1 --format='%%an <%%ae>|%%cn <%%ce>|%%B|%%P'", f->work);
	after = xasprintf("Ann Example <ann@example.com>|Ann Example <ann@example.com>|send: 1 sent\n|%s",
			  before);
	expect_capture(after, cmd);
	free(after);
	free(cmd);
	/* the other changes are still there, staged or not as before */
	cmd = xasprintf("git -C '%s' status --porcelain", f->work);
	expect_capture(" M b.txt\nM  d.txt", cmd);
	free(cmd);
	cmd = xasprintf("git -C '%s' show HEAD:d.txt", f->work);
	expect_capture("d", cmd);
	free(cmd);

	/* nothing new: no empty commit */
	after = rev_parse(f->work, "HEAD");
	assert_int_equal(gitrepo_commit(f->g, paths, 3, NULL, "again", &committed), 0);
	assert_int_equal(committed, 0);
	free(before);
	before = rev_parse(f->work, "HEAD");
	assert_string_equal(before, after);
	free(after);

	/* the default author; a final newline is added to the message */
	fixture_append(f->work, "log.tsv", "sent\tc-1\n");
	paths[0] = "log.tsv";
	assert_int_equal(gitrepo_commit(f->g, paths, 1, "", "send: done", &committed), 0);
	assert_int_equal(committed, 1);
	cmd = xasprintf("git -C '%s' cat-file commit HEAD | sed -n '/^author/s/ [0-9]* [-+][0-9]*$//p;$p'",
			f->work);
	expect_capture("author mailout <mailout@localhost>\nsend: done", cmd);
	free(cmd);

	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, paths, 1, "nobody", "x", &committed), -1);
	assert_string_equal(error_last(), "invalid git author 'nobody': expected 'Name <email>'");
	assert_int_equal(gitrepo_commit(f->g, paths, 1, "<x@example.com>", "x", &committed), -1);
	free(before);
}

static void test_commit_unborn(void **state)
{
	struct fx *f = *state;
	struct gitrepo *fresh = NULL;
	char *dir = xasprintf("%s/fresh", f->dir), *cmd;
	const char *paths[] = { "campaigns/x/log/acc.tsv", "missing.tsv" };
	int committed = -1;

	run("git init -q -b main '%s'", dir);
	assert_int_equal(gitrepo_open(&fresh, dir), 0);
	assert_int_equal(gitrepo_commit(fresh, paths + 1, 1, NULL, "nothing", &committed), 0);
	assert_int_equal(committed, 0);
	put(dir, "campaigns/x/log/acc.tsv", "claim\n");
	put(dir, "other.txt", "not ours\n");
	assert_int_equal(gitrepo_commit(fresh, paths, 2, NULL, "first", &committed), 0);
	assert_int_equal(committed, 1);
	cmd = xasprintf("git -C '%s' ls-tree -r --name-only HEAD && git -C '%s' status --porcelain",
			dir, dir);
	expect_capture("campaigns/x/log/acc.tsv\n?? other.txt", cmd);
	free(cmd);
	gitrepo_free(fresh);
	free(dir);
}

static void test_read_at(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;
	const char *paths[] = { "log.tsv" };
	char *first = rev_parse(f->work, "HEAD");
	int committed;

	fixture_append(f->work, "log.tsv", "sent\tc-1\n");
	assert_int_equal(gitrepo_commit(f->g, paths, 1, NULL, "more", &committed), 0);
	assert_int_equal(gitrepo_read_at(f->g, "HEAD", "log.tsv", &b), 0);
	assert_string_equal(b.ptr, "claim\tc-1\nsent\tc-1\n");
	buf_reset(&b);
	assert_int_equal(gitrepo_read_at(f->g, first, "log.tsv", &b), 0);
	assert_string_equal(b.ptr, "claim\tc-1\n");
	buf_reset(&b);
	assert_int_equal(gitrepo_read_at(f->g, "origin/main", "log.tsv", &b), 0);
	assert_string_equal(b.ptr, "claim\tc-1\n");
	buf_reset(&b);
	assert_int_equal(gitrepo_read_at(f->g, "HEAD", "campaigns/none.tsv", &b), 1);
	assert_int_equal(gitrepo_read_at(f->g, "HEAD", "a.txt/x", &b), 1);
	assert_int_equal(b.len, 0);
	assert_int_equal(gitrepo_read_at(f->g, "no-such-branch", "log.tsv", &b), -1);
	assert_non_null(strstr(error_last(), "unknown revision 'no-such-branch'"));
	buf_release(&b);
	free(first);
}

static void test_changed_paths(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { "a.txt", "b.txt", "c.txt", "e.txt", "d.txt", "ignored/x.txt",
				"nope.txt", "sub/new.txt" };
	int changed[8];
	size_t i;
	const int expected[8] = { 1, 0, 1, 1, 1, 0, 0, 1 };

	put(f->work, "a.txt", "a\nmore\n");
	put(f->work, "c.txt", "c\n");
	run("rm '%s/e.txt'", f->work);
	put(f->work, "d.txt", "d\nstaged\n");
	run("git -C '%s' add d.txt", f->work);
	put(f->work, "d.txt", "d\n"); /* staged differs from HEAD, the file does not */
	put(f->work, "ignored/x.txt", "x\n");
	put(f->work, "sub/new.txt", "n\n");
	assert_int_equal(gitrepo_changed_paths(f->g, paths, 8, changed), 0);
	for (i = 0; i < 8; i++) {
		if (changed[i] != expected[i])
			fprintf(stderr, "%s: %d\n", paths[i], changed[i]);
		assert_int_equal(changed[i], expected[i]);
	}
}

/* A second clone of the remote, opened. */
static struct gitrepo *clone_remote(struct fx *f, const char *name, char **dir_out)
{
	struct gitrepo *g = NULL;

	*dir_out = xasprintf("%s/%s", f->dir, name);
	run("git clone -q '%s' '%s'", f->remote, *dir_out);
	assert_int_equal(gitrepo_open(&g, *dir_out), 0);
	return g;
}

static void test_fetch_and_push(void **state)
{
	struct fx *f = *state;
	struct gitrepo *other;
	struct buf b = BUF_INIT;
	const char *ours[] = { "log.tsv" }, *theirs[] = { "other.tsv" };
	char *odir, *head, *remote_main, tip[41], *msg, hash[41], *ref, *cmd, *copy;
	int committed;

	other = clone_remote(f, "other", &odir);

	/* we push first */
	fixture_append(f->work, "log.tsv", "claim\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "claims", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0);
	head = rev_parse(f->work, "HEAD");
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	remote_main = rev_parse(f->work, "refs/remotes/origin/main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0); /* already there */

	/* the other clone committed meanwhile: rejected until it fetched and replayed */
	put(odir, "other.tsv", "claim\tc-9\n");
	assert_int_equal(gitrepo_commit(other, theirs, 1, NULL, "their claims", &committed), 0);
	assert_int_equal(gitrepo_push(other, "origin"), GITREPO_REJECTED);
	assert_string_equal(error_last(), "push to 'origin' rejected: 'main' has commits this clone "
					  "does not have (fetch first)");
	assert_int_equal(gitrepo_fetch(other, "origin", tip), 0);
	assert_string_equal(tip, head);
	remote_main = rev_parse(odir, "refs/remotes/origin/main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	assert_int_equal(gitrepo_read_at(other, "origin/main", "log.tsv", &b), 0);
	assert_string_equal(b.ptr, "claim\tc-1\nclaim\tc-2\n");
	assert_int_equal(gitrepo_push(other, "origin"), GITREPO_REJECTED);
	assert_string_equal(error_last(), "push to 'origin' rejected: 'main' is not a fast-forward");

	assert_int_equal(gitrepo_reset_hard(other, tip, theirs, 1), 0);
	put(odir, "other.tsv", "claim\tc-9\n");
	assert_int_equal(gitrepo_commit(other, theirs, 1, NULL, "their claims", &committed), 0);
	assert_int_equal(committed, 1);
	assert_int_equal(gitrepo_push(other, "origin"), 0);

	/* a fresh clone shows both */
	copy = xasprintf("%s/copy", f->dir);
	run("git clone -q '%s' '%s'", f->remote, copy);
	cmd = xasprintf("cat '%s/log.tsv' '%s/other.tsv' && git -C '%s' log --format=%%s", copy, copy,
			copy);
	expect_capture("claim\tc-1\nclaim\tc-2\nclaim\tc-9\ntheir claims\nclaims\nfirst", cmd);
	free(cmd);

	/* a path instead of a remote's name: its own ref namespace */
	assert_int_equal(gitrepo_fetch(f->g, f->remote, tip), 0);
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(tip, remote_main);
	gitrepo_blob_id(hash, f->remote, strlen(f->remote));
	ref = xasprintf("refs/mailout/remotes/%.12s/main", hash);
	free(head);
	head = rev_parse(f->work, ref);
	assert_string_equal(head, remote_main);
	free(ref);

	/* a push in progress elsewhere (or a killed one) holds the lock:
	 * rejected, naming the file, then fine once it is gone */
	assert_int_equal(gitrepo_reset_hard(f->g, tip, NULL, 0), 0);
	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "outcomes", &committed), 0);
	put(f->remote, "refs/heads/main.lock", "");
	msg = xasprintf("file://%s", f->remote);
	assert_int_equal(gitrepo_push(f->g, msg), GITREPO_REJECTED);
	cmd = xasprintf("push to '%s' rejected: '%s/refs/heads/main.lock' exists: another push is "
			"updating 'main', or one was killed while it did (remove the file if no push "
			"is running)", msg, f->remote);
	assert_string_equal(error_last(), cmd);
	free(cmd);
	run("rm '%s/refs/heads/main.lock'", f->remote);
	assert_int_equal(gitrepo_push(f->g, msg), 0);
	free(head);
	head = rev_parse(f->work, "HEAD");
	free(remote_main);
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(head, remote_main);

	/* a new branch on the remote */
	run("git -C '%s' checkout -q -b feature", f->work);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0);
	free(remote_main);
	remote_main = rev_parse(f->remote, "feature");
	assert_string_equal(head, remote_main);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_string_equal(tip, head);

	assert_int_equal(gitrepo_fetch(f->g, "nowhere", tip), -1);
	assert_string_equal(error_last(), "no remote named 'nowhere' and no repository at that path");

	free(msg);
	free(copy);
	free(head);
	free(remote_main);
	buf_release(&b);
	gitrepo_free(other);
	free(odir);
}

static void test_fetch_missing_branch(void **state)
{
	struct fx *f = *state;
	char tip[41] = "x";

	run("git -C '%s' checkout -q -b lonely", f->work);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_string_equal(tip, "");
}

static void test_insteadof(void **state)
{
	struct fx *f = *state;
	const char *paths[] = { "log.tsv" };
	char tip[41], *head, *remote_main, *pushed = xasprintf("%s/pushed.git", f->dir);
	int committed;

	/* fetches read the remote through insteadOf, pushes go elsewhere */
	run("git init -q --bare -b main '%s'", pushed);
	run("git -C '%s' config url.'%s'.insteadOf team: && "
	    "git -C '%s' config url.'%s'.pushInsteadOf team: && "
	    "git -C '%s' remote add team team:",
	    f->work, f->remote, f->work, pushed, f->work);
	assert_int_equal(gitrepo_fetch(f->g, "team", tip), 0);
	head = rev_parse(f->work, "HEAD");
	assert_string_equal(tip, head);
	fixture_append(f->work, "log.tsv", "sent\tc-1\n");
	assert_int_equal(gitrepo_commit(f->g, paths, 1, NULL, "outcomes", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "team"), 0);
	free(head);
	head = rev_parse(f->work, "HEAD");
	remote_main = rev_parse(pushed, "main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	remote_main = rev_parse(f->work, "refs/remotes/team/main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	remote_main = rev_parse(f->remote, "main");
	assert_string_not_equal(remote_main, head);
	free(remote_main);
	free(head);
	free(pushed);
}

static void test_reset_hard(void **state)
{
	struct fx *f = *state;
	struct gitrepo *other;
	const char *ours[] = { "log.tsv", "new-in-tip.tsv", "gone.tsv" };
	char *odir, *tip, *head, *cmd;
	int committed;

	/* the remote moves: log.tsv, b.txt and d.txt change, a file appears */
	other = clone_remote(f, "other", &odir);
	fixture_append(odir, "log.tsv", "claim\tc-7\n");
	put(odir, "b.txt", "b\nremote\n");
	put(odir, "d.txt", "d\nremote\n");
	put(odir, "new-in-tip.tsv", "new\n");
	run("git -C '%s' add -A && git -C '%s' commit -q -m remote && git -C '%s' push -q origin main",
	    odir, odir, odir);
	tip = rev_parse(odir, "HEAD");

	/* here: our own uncommitted line, a local change of d.txt, and a
	 * file of ours the tip does not have */
	fixture_append(f->work, "log.tsv", "claim\tc-8\n");
	put(f->work, "d.txt", "d\nlocal\n");
	put(f->work, "gone.tsv", "ours\n");
	put(f->work, "a.txt", "a\nlocal\n");
	run("git -C '%s' fetch -q origin", f->work);
	assert_int_equal(gitrepo_reset_hard(f->g, tip, ours, 3), 0);
	head = rev_parse(f->work, "HEAD");
	assert_string_equal(head, tip);
	free(head);
	cmd = xasprintf("cd '%s' && cat log.tsv b.txt d.txt a.txt new-in-tip.tsv && "
			"test ! -e gone.tsv && git status --porcelain",
			f->work);
	expect_capture("claim\tc-1\nclaim\tc-7\nb\nremote\nd\nlocal\na\nlocal\nnew\n"
		       " M a.txt\n M d.txt",
		       cmd);
	free(cmd);

	/* the whole tree */
	assert_int_equal(gitrepo_reset_hard(f->g, tip, NULL, 0), 0);
	cmd = xasprintf("cd '%s' && cat d.txt a.txt && git status --porcelain", f->work);
	expect_capture("d\nremote\na", cmd);
	free(cmd);

	assert_int_equal(gitrepo_reset_hard(f->g, "0123", NULL, 0), -1);
	assert_string_equal(error_last(), "'0123' is not a commit id");
	assert_int_equal(gitrepo_reset_hard(f->g, "0123456789012345678901234567890123456789", ours, 1), -1);
	assert_non_null(strstr(error_last(), "cannot reset to '0123456789012345678901234567890123456789'"));
	(void)committed;
	free(tip);
	gitrepo_free(other);
	free(odir);
}

static void test_shallow(void **state)
{
	struct fx *f = *state;
	struct gitrepo *shallow = NULL;
	char *dir = xasprintf("%s/shallow", f->dir), tip[41];
	const char *paths[] = { "log.tsv" };
	int committed;

	fixture_append(f->work, "a.txt", "second\n");
	run("git -C '%s' commit -q -am second && git -C '%s' push -q origin main", f->work, f->work);
	run("git clone -q --depth 1 'file://%s' '%s'", f->remote, dir);
	assert_int_equal(gitrepo_open(&shallow, dir), 0);
	assert_int_equal(gitrepo_is_shallow(shallow), 1);
	assert_int_equal(gitrepo_fetch(shallow, "origin", tip), -1);
	assert_string_equal(error_last(), "this clone is shallow and libgit2 1.5 cannot fetch into it: "
					  "check out with full history (fetch-depth: 0)");
	put(dir, "log.tsv", "claim\tc-1\nclaim\tc-2\n");
	assert_int_equal(gitrepo_commit(shallow, paths, 1, NULL, "claims", &committed), 0);
	assert_int_equal(committed, 1);
	assert_int_equal(gitrepo_push(shallow, "origin"), -1);
	assert_string_equal(error_last(), "this clone is shallow and libgit2 1.5 cannot push from it: "
					  "check out with full history (fetch-depth: 0)");
	assert_int_equal(gitrepo_is_shallow(f->g), 0);
	gitrepo_free(shallow);
	free(dir);
}

static void test_changed_since(void **state)
{
	struct fx *f = *state;
	char **paths = NULL;
	size_t n = 0;
	struct buf joined = BUF_INIT;
	size_t i;

	run("git -C '%s' checkout -q -b change", f->work);
	put(f->work, "f1.txt", "committed on the branch\n");
	run("git -C '%s' add f1.txt && git -C '%s' commit -q -m f1", f->work, f->work);
	/* main moves on after the branch point: not a change of ours */
	run("git -C '%s' checkout -q main", f->work);
	put(f->work, "main-only.txt", "x\n");
	run("git -C '%s' add main-only.txt && git -C '%s' commit -q -m main", f->work, f->work);
	run("git -C '%s' checkout -q change", f->work);
	put(f->work, "a.txt", "a\nunstaged\n");
	put(f->work, "s.txt", "staged\n");
	run("git -C '%s' add s.txt", f->work);
	put(f->work, "u/dir/x.txt", "untracked\n");
	put(f->work, "ignored/y.txt", "ignored\n");
	run("rm '%s/e.txt'", f->work);

	assert_int_equal(gitrepo_changed_since(f->g, "main", &paths, &n), 0);
	for (i = 0; i < n; i++)
		buf_addf(&joined, "%s%s", i ? " " : "", paths[i]);
	assert_string_equal(joined.ptr, "a.txt e.txt f1.txt s.txt u/dir/x.txt");
	free_list(paths, n);
	buf_reset(&joined);

	assert_int_equal(gitrepo_changed_since(f->g, "HEAD", &paths, &n), 0);
	for (i = 0; i < n; i++)
		buf_addf(&joined, "%s%s", i ? " " : "", paths[i]);
	assert_string_equal(joined.ptr, "a.txt e.txt s.txt u/dir/x.txt");
	free_list(paths, n);

	assert_int_equal(gitrepo_changed_since(f->g, "nope", &paths, &n), -1);
	assert_non_null(strstr(error_last(), "unknown revision 'nope'"));
	assert_null(paths);
	assert_int_equal(n, 0);
	buf_release(&joined);
}

/* Run from the repository root (make does). */
#define HTTP_SERVER "tests/tools/git_http_server.py"

/* Starts the smart-HTTP server on dir with token; returns its port. */
static int http_start(const char *dir, const char *token, pid_t *pid_out)
{
	const char *const args[] = { dir, token, NULL };
	int port;

	*pid_out = test_server_start(HTTP_SERVER, args, &port);
	return port;
}

static void http_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

static void put_hook(const char *remote, const char *script)
{
	char *path = xasprintf("%s/hooks/pre-receive", remote);

	put(remote, "hooks/pre-receive", script);
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
}

/* https's code path over plain http: a token as the password, rejections
 * reported by the remote per ref. */
static void test_http_remote(void **state)
{
	struct fx *f = *state;
	const char *ours[] = { "log.tsv" };
	char tip[41], *url, *head, *remote_main, *odir, *side, *hook, *why;
	int committed, port;
	pid_t pid;

	port = http_start(f->dir, "right-token", &pid);
	url = xasprintf("http://127.0.0.1:%d/remote.git", port);
	run("git -C '%s' remote set-url origin '%s'", f->work, url);

	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), -1);
	assert_non_null(strstr(error_last(), "needs credentials: set MAILOUT_GIT_TOKEN (or GITHUB_TOKEN)"));
	setenv("GITHUB_TOKEN", "wrong-token", 1);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), -1);
	assert_non_null(strstr(error_last(), "refused the token of MAILOUT_GIT_TOKEN or GITHUB_TOKEN"));
	assert_null(strstr(error_last(), "wrong-token"));
	setenv("MAILOUT_GIT_TOKEN", "right-token", 1);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	head = rev_parse(f->work, "HEAD");
	assert_string_equal(tip, head);
	free(head);

	fixture_append(f->work, "log.tsv", "claim\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "claims", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0);
	head = rev_parse(f->work, "HEAD");
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	remote_main = rev_parse(f->work, "refs/remotes/origin/main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	free(head);

	/* someone else pushed: not a fast-forward until we replayed on the tip */
	odir = xasprintf("%s/other", f->dir);
	run("git clone -q '%s' '%s' && echo x >'%s/x.txt' && git -C '%s' add x.txt && "
	    "git -C '%s' commit -q -m other && git -C '%s' push -q origin main",
	    f->remote, odir, odir, odir, odir, odir);
	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "outcomes", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), GITREPO_REJECTED);
	assert_string_equal(error_last(), "push to 'origin' rejected: 'main' is not a fast-forward (fetch first)");
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), GITREPO_REJECTED);
	assert_int_equal(gitrepo_reset_hard(f->g, tip, ours, 1), 0);
	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "outcomes", &committed), 0);

	/* the branch moves on the remote while it receives our push */
	run("git -C '%s' checkout -q -b side && echo y >'%s/y.txt' && git -C '%s' add y.txt && "
	    "git -C '%s' commit -q -m side && git -C '%s' push -q origin side",
	    odir, odir, odir, odir, odir);
	side = rev_parse(odir, "side");
	hook = xasprintf("#!/bin/sh\nunset GIT_QUARANTINE_PATH\ngit update-ref refs/heads/main %s\n", side);
	put_hook(f->remote, hook);
	assert_int_equal(gitrepo_push(f->g, "origin"), GITREPO_REJECTED);
	/* receive-pack's terse status, and what it printed about it */
	why = xasprintf("push to 'origin' rejected: failed to update ref (the remote said: cannot "
			"lock ref 'refs/heads/main': is at %s but expected %s)", side, tip);
	assert_string_equal(error_last(), why);
	free(why);
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(remote_main, side);
	free(remote_main);

	/* a hook that declines is no reason to try again */
	put_hook(f->remote, "#!/bin/sh\necho 'pushes are closed' >&2\nexit 1\n");
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_int_equal(gitrepo_reset_hard(f->g, tip, ours, 1), 0);
	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "outcomes", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), -1);
	assert_string_equal(error_last(), "push to 'origin' refused: pre-receive hook declined");

	run("rm '%s/hooks/pre-receive'", f->remote);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0);
	head = rev_parse(f->work, "HEAD");
	remote_main = rev_parse(f->remote, "main");
	assert_string_equal(remote_main, head);
	free(remote_main);
	free(head);

	unsetenv("MAILOUT_GIT_TOKEN");
	unsetenv("GITHUB_TOKEN");
	http_stop(pid);
	free(hook);
	free(side);
	free(odir);
	free(url);
}

/* A refused push whose new commits touch other files only: our commit goes
 * onto the new tip; when they touch ours, nothing moves. */
static void test_rebase_disjoint(void **state)
{
	struct fx *f = *state;
	const char *ours[] = { "log.tsv" };
	char from[41], tip[41], *other = xasprintf("%s/other", f->dir), *cmd, *head, *msg;
	int committed, moved = -1;

	assert_int_equal(gitrepo_head_oid(f->g, from), 0);
	run("git clone -q '%s' '%s'", f->remote, other);
	run("cd '%s' && echo b2 >>b.txt && git commit -qam theirs && git push -q origin main", other);
	fixture_append(f->work, "log.tsv", "sent\tc-1\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "send: ours", &committed), 0);
	assert_int_equal(gitrepo_push(f->g, "origin"), GITREPO_REJECTED);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_int_equal(gitrepo_rebase_disjoint(f->g, from, tip, ours, 1, NULL, &moved), 0);
	assert_int_equal(moved, 1);
	cmd = xasprintf("git -C '%s' log -1 --format='%%P|%%B' && git -C '%s' show --name-status --format= HEAD"
			" && cat '%s/b.txt' '%s/log.tsv' && git -C '%s' status --porcelain",
			f->work, f->work, f->work, f->work, f->work);
	msg = xasprintf("%s|send: ours\n\nM\tlog.tsv\nb\nb2\nclaim\tc-1\nsent\tc-1", tip);
	expect_capture(msg, cmd);
	free(msg);
	free(cmd);
	assert_int_equal(gitrepo_push(f->g, "origin"), 0);
	head = rev_parse(f->work, "HEAD");
	cmd = rev_parse(f->remote, "main");
	assert_string_equal(cmd, head);
	free(cmd);

	/* their new commit appends to our file: nothing is done */
	run("cd '%s' && git pull -q && echo claim >>log.tsv && git commit -qam theirs && git push -q origin main",
	    other);
	snprintf(from, sizeof(from), "%s", head);
	fixture_append(f->work, "log.tsv", "sent\tc-2\n");
	assert_int_equal(gitrepo_commit(f->g, ours, 1, NULL, "send: more", &committed), 0);
	free(head);
	head = rev_parse(f->work, "HEAD");
	assert_int_equal(gitrepo_push(f->g, "origin"), GITREPO_REJECTED);
	assert_int_equal(gitrepo_fetch(f->g, "origin", tip), 0);
	assert_int_equal(gitrepo_rebase_disjoint(f->g, from, tip, ours, 1, NULL, &moved), 0);
	assert_int_equal(moved, 0);
	cmd = rev_parse(f->work, "HEAD");
	assert_string_equal(cmd, head);
	free(cmd);
	free(head);
	free(other);
}

static void test_secrets_stay_out_of_messages(void **state)
{
	struct fx *f = *state;
	char tip[41];

	(void)f;
	setenv("MAILOUT_GIT_TOKEN", "s3cr3t-token-value", 1);
	/* nothing listens on port 1 */
	assert_int_equal(gitrepo_fetch(f->g, "http://x-access-token:s3cr3t-token-value@127.0.0.1:1/r.git",
				       tip), -1);
	assert_null(strstr(error_last(), "s3cr3t"));
	assert_non_null(strstr(error_last(), "cannot fetch 'main' from 'http://***@127.0.0.1:1/r.git'"));
	unsetenv("MAILOUT_GIT_TOKEN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blob_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_and_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_exact_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_unborn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_and_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_missing_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insteadof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_hard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shallow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebase_disjoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_stay_out_of_messages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
