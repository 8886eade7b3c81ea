#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "buf.h"
#include "diag.h"
#include "fixture.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

struct fx {
	char *root;    /* the repository */
	char *outside; /* a folder beside it */
	char *target;  /* outside/target.txt */
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *base = fixture_tmpdir();

	f->root = xasprintf("%s/repo", base);
	f->outside = xasprintf("%s/outside", base);
	f->target = xasprintf("%s/target.txt", f->outside);
	free(base);
	if (mkdir(f->root, 0755) < 0 || mkdir(f->outside, 0755) < 0 ||
	    fixture_write(f->outside, "target.txt", "secret\n") < 0 ||
	    fixture_write(f->root, "templates/a.md", "hello\n") < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *base = xstrndup(f->root, strlen(f->root) - strlen("/repo"));

	fixture_remove(base);
	free(base);
	free(f->root);
	free(f->outside);
	free(f->target);
	free(f);
	return 0;
}

static void link_at(const struct fx *f, const char *rel, const char *to)
{
	char *path = xasprintf("%s/%s", f->root, rel);

	assert_int_equal(symlink(to, path), 0);
	free(path);
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;

	assert_int_equal(buf_read_file(&b, path, 1 << 20), 0);
	return buf_detach(&b, NULL);
}

static void test_reads_regular_files(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;
	struct stat st;

	assert_int_equal(content_read(&b, f->root, "templates/a.md", 100, NULL), 0);
	assert_string_equal(b.ptr, "hello\n");
	buf_reset(&b);
	assert_int_equal(content_read(&b, f->root, "templates/a.md", 3, NULL), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(content_read(&b, f->root, "templates/none.md", 100, NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(content_read(&b, f->root, "missing/none.md", 100, NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(content_stat(f->root, "templates/a.md", &st), 0);
	assert_int_equal((int)st.st_size, 6);
	assert_int_equal(content_read(&b, f->root, "templates/../templates/a.md", 100, NULL), -1);
	assert_int_equal(errno, EINVAL);
	buf_release(&b);
}

static void test_refuses_links_and_special_files(void **state)
{
	struct fx *f = *state;
	struct diag_list diags = DIAG_LIST_INIT;
	struct buf b = BUF_INIT;
	char *fifo = xasprintf("%s/templates/pipe.md", f->root);

	link_at(f, "templates/link.md", f->target);
	assert_int_equal(content_read(&b, f->root, "templates/link.md", 100, &diags), CONTENT_REFUSED);
	assert_int_equal(b.len, 0);
	assert_int_equal(diags.count, 1);
	assert_string_equal(diags.items[0].path, "templates/link.md");
	assert_string_equal(diags.items[0].message,
			    "is a symbolic link; content files must be regular files");
	assert_string_equal(error_last(),
			    "templates/link.md: is a symbolic link; content files must be regular files");

	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(content_read(&b, f->root, "templates/pipe.md", 100, NULL), CONTENT_REFUSED);
	assert_string_equal(error_last(), "templates/pipe.md: is a FIFO; content files must be regular files");

	assert_int_equal(content_read(&b, f->root, "templates", 100, NULL), CONTENT_REFUSED);
	assert_string_equal(error_last(), "templates: is a directory; content files must be regular files");

	/* a linked folder on the way, however deep */
	link_at(f, "linked", f->outside);
	assert_int_equal(content_read(&b, f->root, "linked/target.txt", 100, NULL), CONTENT_REFUSED);
	assert_string_equal(error_last(),
			    "linked: is a symbolic link; content folders must be real directories");
	assert_int_equal(content_mkdirs(f->root, "linked/sub"), CONTENT_REFUSED);
	assert_int_equal(b.len, 0);
	free(fifo);
	buf_release(&b);
	diag_release(&diags);
}

static void test_writes_never_through_links(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *text, *tmp;
	int fd;

	link_at(f, "templates/link.md", f->target);
	assert_int_equal(content_write_atomic(f->root, "templates/link.md", "x", 1), CONTENT_REFUSED);
	assert_int_equal(content_append_open(f->root, "templates/link.md", 1), CONTENT_REFUSED);
	link_at(f, "out", f->outside);
	assert_int_equal(content_write_atomic(f->root, "out/new.txt", "x", 1), CONTENT_REFUSED);
	assert_int_equal(content_append_open(f->root, "out/new.txt", 1), CONTENT_REFUSED);
	text = slurp(f->target);
	assert_string_equal(text, "secret\n");
	free(text);

	/* a planted temporary name is replaced, not written through */
	assert_int_equal(content_mkdirs(f->root, "campaigns/x/log"), 0);
	tmp = xasprintf("campaigns/x/campaign.yaml.tmp.%ld", (long)getpid());
	link_at(f, tmp, f->target);
	assert_int_equal(content_write_atomic(f->root, "campaigns/x/campaign.yaml", "a: 1\n", 5), 0);
	assert_int_equal(content_stat(f->root, tmp, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(content_stat(f->root, "campaigns/x/campaign.yaml", &st), 0);
	assert_int_equal((int)st.st_size, 5);
	free(tmp);
	fd = content_append_open(f->root, "campaigns/x/log/a.tsv", 1);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "line\n", 5), 5);
	close(fd);
	text = slurp(f->target);
	assert_string_equal(text, "secret\n");
	free(text);
}

static void test_lists_without_following(void **state)
{
	struct fx *f = *state;
	char **names = NULL;
	int n;

	assert_int_equal(fixture_write(f->root, "campaigns/one/campaign.yaml", "x\n"), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/notes.txt", "x\n"), 0);
	link_at(f, "campaigns/two", f->outside);
	n = content_list(&names, f->root, "campaigns", NULL, 1);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "one");
	assert_string_equal(names[1], "two"); /* listed, so that reading it reports it */
	free_list(names, (size_t)n);
	assert_int_equal(content_dir_check(f->root, "campaigns/two"), CONTENT_REFUSED);
	assert_int_equal(content_list(&names, f->root, "campaigns/two", NULL, 0), CONTENT_REFUSED);
	assert_int_equal(content_list(&names, f->root, "nothing", NULL, 0), 0);
}

/* The lowest free descriptor: a leak or a closed held root moves it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* Held or not, the root is walked alike: the same refusals, the same
 * missing files, and no descriptor left behind. */
static void test_held_root_walks_alike(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;
	struct stat st;
	char **names = NULL;
	int before = lowest_free_fd(), pass, n;

	assert_int_equal(fixture_write(f->root, "campaigns/one/log/a.tsv", "x\n"), 0);
	link_at(f, "campaigns/one/linked", f->outside);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			assert_int_equal(content_hold(f->root), 1);
		assert_int_equal(content_read(&b, f->root, "campaigns/one/log/a.tsv", 100, NULL), 0);
		assert_string_equal(b.ptr, "x\n");
		buf_reset(&b);
		assert_int_equal(content_read(&b, f->root, "campaigns/one/linked/target.txt", 100, NULL),
				 CONTENT_REFUSED);
		assert_string_equal(error_last(), "campaigns/one/linked: is a symbolic link; content "
						  "folders must be real directories");
		assert_int_equal(content_stat(f->root, "campaigns/none/log/a.tsv", &st), -1);
		assert_int_equal(errno, ENOENT);
		assert_int_equal(content_stat(f->root, "templates/a.md/x", &st), -1);
		assert_int_equal(errno, ENOTDIR);
		assert_int_equal(content_stat(f->root, "campaigns/./one/log/a.tsv", &st), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(content_stat(f->root, "templates/a.md", &st), 0); /* top and deep */
		n = content_list(&names, f->root, "campaigns/one/log", ".tsv", 0);
		assert_int_equal(n, 1);
		free_list(names, (size_t)n);
		assert_int_equal(content_mkdirs(f->root, "campaigns/two/log"), 0);
		assert_int_equal(content_dir_check(f->root, "campaigns/two/log"), 1);
		if (pass == 1) {
			/* nested holds of the root count; another root is not held */
			assert_int_equal(content_hold(f->root), 1);
			assert_int_equal(content_hold(f->outside), 0);
			content_release();
			assert_int_equal(content_stat(f->root, "templates/a.md", &st), 0);
			assert_int_equal(lowest_free_fd(), before + 1); /* the held root only */
			content_release();
		}
		assert_int_equal(lowest_free_fd(), before);
	}
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_links_and_special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_never_through_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_without_following, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_root_walks_alike, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
