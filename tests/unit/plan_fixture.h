/*
 * A small repository with a plan, for the unit tests of what the syncs
 * decide: campaign c1 of ann's contacts c-1 .. c-4 (personN@example.net),
 * c-1 and c-2 sent by account ann-a (Message-IDs <1@example.com>,
 * <2@example.com>), c-3 and c-4 pending.  Include after cmocka.h.
 */
#ifndef MAILOUT_TEST_PLAN_FIXTURE_H
#define MAILOUT_TEST_PLAN_FIXTURE_H

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fixture.h"
#include "plan.h"
#include "util.h"

struct plan_fx {
	char *root;
	struct plan *plan;
	struct diag_list diags;
};

#define PLAN_FX_LOG "campaigns/c1/log/ann-a.tsv"

static inline void plan_fx_open(struct plan_fx *f)
{
	plan_close(f->plan);
	f->plan = NULL;
	diag_release(&f->diags);
	if (plan_open(&f->plan, f->root, NULL, 0, &f->diags) < 0) {
		diag_print(stderr, &f->diags);
		fail_msg("plan_open: %s", error_last());
	}
}

static inline int plan_fx_setup(void **state)
{
	struct plan_fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	assert_non_null(f->root);
	assert_int_equal(fixture_write(f->root, "mailout.yaml",
		"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
		"unsubscribe: { address: unsubscribe@example.com }\n"
		"departments: [ { id: d1, name: Dept } ]\n"
		"people:\n"
		"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
		"accounts:\n"
		"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"),
		0);
	assert_int_equal(fixture_write(f->root, "templates/t1.md", "---\nsubject: Hello\n---\nHi {{first_name}}\n"), 0);
	assert_int_equal(fixture_write(f->root, "recipients/contacts/a.yaml",
		"- { id: c-1, email: person1@example.net, first_name: P1, owner: ann }\n"
		"- { id: c-2, email: person2@example.net, first_name: P2, owner: ann }\n"
		"- { id: c-3, email: person3@example.net, first_name: P3, owner: ann }\n"
		"- { id: c-4, email: Person4@Example.net, first_name: P4, owner: ann }\n"),
		0);
	assert_int_equal(fixture_write(f->root, "campaigns/c1/campaign.yaml",
		"name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-01\n"), 0);
	assert_int_equal(fixture_write(f->root, PLAN_FX_LOG,
		"#mailout-log v1\n"
		"2026-12-01T07:36:00Z\tclaim\tc-1\tperson1@example.net\t<1@example.com>\n"
		"2026-12-01T07:36:01Z\tsent\tc-1\t250\t2.0.0\tOK\n"
		"2026-12-01T07:37:00Z\tclaim\tc-2\tperson2@example.net\t<2@example.com>\n"
		"2026-12-01T07:37:01Z\tsent\tc-2\t250\t2.0.0\tOK\n"), 0);
	plan_fx_open(f);
	*state = f;
	return 0;
}

static inline int plan_fx_teardown(void **state)
{
	struct plan_fx *f = *state;

	plan_close(f->plan);
	diag_release(&f->diags);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	error_clear();
	return 0;
}

/* Overwrites every page of the plan's file but the first (the schema) and
 * bumps its change counter: the open plan's next query fails. */
static inline void plan_fx_corrupt(struct plan_fx *f)
{
	unsigned char head[100], junk[65536];
	struct stat st;
	long page;
	off_t off;
	int fd = open(plan_path(f->plan), O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, head, sizeof(head), 0), (ssize_t)sizeof(head));
	page = head[16] << 8 | head[17];
	if (page == 1)
		page = 65536;
	assert_true(page >= 512 && st.st_size > 2 * page);
	memset(junk, 0xa5, sizeof(junk));
	for (off = page; off < st.st_size; off += page)
		assert_int_equal(pwrite(fd, junk, (size_t)page, off), page);
	head[27]++;
	assert_int_equal(pwrite(fd, head + 24, 4, 24), 4);
	close(fd);
}

/* The content of root/rel, malloc'd ("" when missing). */
static inline char *plan_fx_read(const struct plan_fx *f, const char *rel)
{
	char path[4096];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	in = fopen(path, "r");
	while (in && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		buf_add(&b, chunk, n);
	if (in)
		fclose(in);
	return buf_detach(&b, NULL);
}

#endif
