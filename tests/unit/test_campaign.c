#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "fixture.h"
#include "recipients.h"
#include "safefile.h"
#include "schedule.h"
#include "xalloc.h"
#include "yamlfile.h"

static const char *config_yaml =
	"organization: { name: Test Org, postal_address: \"Street 1, Berlin\", site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: d1, name: Dept } ]\n"
	"people:\n"
	"  - { id: ann, name: Ann Example, email: ann@example.com, department: d1, role: sales_manager }\n"
	"  - { id: bob, name: Bob Example, email: bob@example.com, department: d1, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: ann-a, owner: ann, from: \"Ann <ann@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n"
	"  - { id: bob-a, owner: bob, from: \"Bob <bob@example.com>\", smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

static const char *template_md = "---\nsubject: Hello\n---\nHi {{first_name}}\n";

/* A source campaign with comments, as people write them. */
static const char *one_yaml =
	"# the first half\n"
	"name: One                                # shown on the site\n"
	"template: t1\n"
	"recipient_type: contacts\n"
	"owner: ann\n"
	"filter: { country: DE }\n"
	"status: active                           # active | paused | merged\n"
	"start: 2026-12-02\n"
	"end: 2027-01-31\n";

static const char *two_yaml =
	"name: Two\n"
	"template: t1\n"
	"recipient_type: contacts\n"
	"owner: ann\n"
	"filter: { country: FR }\n"
	"start: 2026-12-01T09:00\n"
	"end: 2027-01-15\n"
	"vip_only: true\n";

struct fx {
	char *root;
	struct config cfg;
	struct segments segments;
	struct campaigns campaigns;
	struct diag_list diags;
	int loaded;
};

static void write_campaign(const char *root, const char *id, const char *body)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "campaigns/%s/campaign.yaml", id);
	assert_int_equal(fixture_write(root, rel, body), 0);
}

static char *read_text(const char *root, const char *rel)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", root, rel);

	if (buf_read_file(&b, path, 1 << 20) < 0) {
		free(path);
		buf_release(&b);
		return NULL;
	}
	free(path);
	return buf_detach(&b, NULL);
}

static void assert_file(const char *root, const char *rel, const char *expected)
{
	char *text = read_text(root, rel);

	assert_non_null(text);
	assert_string_equal(text, expected);
	free(text);
}

static int exists(const char *root, const char *rel)
{
	struct stat st;
	char *path = xasprintf("%s/%s", root, rel);
	int r = stat(path, &st) == 0;

	free(path);
	return r;
}

static void unload(struct fx *f)
{
	if (!f->loaded)
		return;
	campaigns_release(&f->campaigns);
	segments_release(&f->segments);
	config_release(&f->cfg);
	diag_release(&f->diags);
	f->loaded = 0;
}

static void load(struct fx *f)
{
	unload(f);
	assert_int_equal(config_load(&f->cfg, f->root, &f->diags), 0);
	segments_load(&f->segments, f->root, &f->diags);
	assert_int_equal(campaigns_load(&f->campaigns, f->root, &f->cfg, &f->segments, &f->diags), 0);
	f->loaded = 1;
}

static const struct campaign *find(struct fx *f, const char *id)
{
	const struct campaign *c = campaigns_find(&f->campaigns, id);

	assert_non_null(c);
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fixture_tmpdir();
	fixture_write(f->root, "mailout.yaml", config_yaml);
	fixture_write(f->root, "templates/t1.md", template_md);
	fixture_write(f->root, "templates/t2.md", template_md);
	write_campaign(f->root, "one", one_yaml);
	write_campaign(f->root, "two", two_yaml);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unload(f);
	fixture_remove(f->root);
	free(f->root);
	free(f);
	tz_cache_release();
	return 0;
}

/* The files of each campaign's folder come with their stat, logs in name
 * order and commands.tsv last, found or not; a linked log is refused. */
static void test_load_finds_the_folder_files(void **state)
{
	struct fx *f = *state;
	const struct campaign *c;
	char *target = xasprintf("%s/campaigns/one/log/b.tsv", f->root), *link_path;

	assert_int_equal(fixture_write(f->root, "campaigns/one/log/b.tsv", "#mailout-log v2\n"), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/one/log/a.tsv", "#mailout-log v2\nx\n"), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/one/log/notes.txt", "x\n"), 0);
	assert_int_equal(fixture_write(f->root, "campaigns/one/commands.tsv", "c\n"), 0);
	load(f);
	assert_int_equal(f->diags.errors, 0);
	c = find(f, "one");
	assert_int_equal(c->yaml_st.st_size, (off_t)strlen(one_yaml));
	assert_int_equal(c->nfiles, 3);
	assert_string_equal(c->files[0].rel, "campaigns/one/log/a.tsv");
	assert_int_equal(c->files[0].found, 1);
	assert_int_equal(c->files[0].st.st_size, 18);
	assert_string_equal(c->files[1].rel, "campaigns/one/log/b.tsv");
	assert_int_equal(c->files[1].st.st_size, 16);
	assert_string_equal(c->files[2].rel, "campaigns/one/commands.tsv");
	assert_int_equal(c->files[2].found, 1);
	c = find(f, "two");
	assert_int_equal(c->nfiles, 1);
	assert_string_equal(c->files[0].rel, "campaigns/two/commands.tsv");
	assert_int_equal(c->files[0].found, 0);

	link_path = xasprintf("%s/campaigns/two/commands.tsv", f->root);
	assert_int_equal(symlink(target, link_path), 0);
	load(f);
	c = find(f, "two");
	assert_int_equal(c->files[0].found, CONTENT_REFUSED);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].path, "campaigns/two/commands.tsv");
	free(link_path);
	free(target);
}

static void test_format_new(void **state)
{
	struct buf b = BUF_INIT;
	struct campaign_spec spec;
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	struct filter filter;
	const char *text = "{ country: [DE, AT], tags: newsletter, note: \"a: b\", flag: \"yes\" }";

	(void)state;
	assert_int_equal(ydoc_parse(&doc, "--filter", text, strlen(text), 0, &diags), 0);
	assert_int_equal(filter_parse(&filter, doc, doc->root, &diags), 0);
	memset(&spec, 0, sizeof(spec));
	spec.name = "Winter news, part 1 (DACH)";
	spec.template = "winter-news";
	spec.owner = "ann";
	spec.type = RTYPE_LEADS;
	spec.filter = &filter;
	spec.start = "2026-12-01T09:00";
	spec.end = "2027-01-31";
	spec.vip_only = 1;
	campaign_format(&b, &spec);
	assert_string_equal(b.ptr,
		"name: Winter news, part 1 (DACH)         # shown in status and on the site\n"
		"template: winter-news                    # templates/winter-news.md\n"
		"recipient_type: leads                    # contacts | companies | leads\n"
		"filter: { country: [DE, AT], tags: newsletter, note: \"a: b\", flag: \"yes\" }  # records matching every field\n"
		"owner: ann                               # only ann's leads are selected\n"
		"status: active                           # active | paused | merged\n"
		"start: 2026-12-01T09:00                  # nothing is sent before\n"
		"end: 2027-01-31                          # nothing is sent after this day\n"
		"vip_only: true                           # true: VIP recipients only\n");

	/* neither segment nor filter; names YAML would misread are quoted */
	buf_reset(&b);
	memset(&spec, 0, sizeof(spec));
	spec.name = "null";
	spec.template = "t1";
	spec.owner = "bob";
	spec.type = RTYPE_COMPANIES;
	spec.paused = 1;
	campaign_format(&b, &spec);
	assert_string_equal(b.ptr,
		"name: \"null\"                             # shown in status and on the site\n"
		"template: t1                             # templates/t1.md\n"
		"recipient_type: companies                # contacts | companies | leads\n"
		"owner: bob                               # all of bob's companies (no segment or filter)\n"
		"status: paused                           # active | paused | merged\n"
		"vip_only: false                          # true: VIP recipients only\n");

	buf_reset(&b);
	spec.name = "Say \"hi\": #1 \\ all";
	spec.segment = "dach";
	spec.paused = 0;
	campaign_format(&b, &spec);
	assert_string_equal(b.ptr,
		"name: \"Say \\\"hi\\\": #1 \\\\ all\"            # shown in status and on the site\n"
		"template: t1                             # templates/t1.md\n"
		"recipient_type: companies                # contacts | companies | leads\n"
		"segment: dach                            # a name from recipients/segments.yaml\n"
		"owner: bob                               # only bob's companies are selected\n"
		"status: active                           # active | paused | merged\n"
		"vip_only: false                          # true: VIP recipients only\n");

	/* what the command line gives is quoted too: nothing hides in a comment */
	buf_reset(&b);
	spec.name = "N";
	spec.template = "t1 # t2";
	spec.owner = "bob: x";
	spec.segment = "[dach]";
	campaign_format(&b, &spec);
	assert_string_equal(b.ptr,
		"name: N                                  # shown in status and on the site\n"
		"template: \"t1 # t2\"                      # templates/t1 # t2.md\n"
		"recipient_type: companies                # contacts | companies | leads\n"
		"segment: \"[dach]\"                        # a name from recipients/segments.yaml\n"
		"owner: \"bob: x\"                          # only bob: x's companies are selected\n"
		"status: active                           # active | paused | merged\n"
		"vip_only: false                          # true: VIP recipients only\n");
	filter_release(&filter);
	ydoc_free(doc);
	diag_release(&diags);
	buf_release(&b);
}

/* What campaign_format writes reads back as the same campaign. */
static void test_format_reads_back(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;
	struct campaign_spec spec;
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;
	struct filter filter;
	const struct campaign *c;
	const char *text = "{country: [\"DE\", 'A,T'], city: \"K\\u00f6ln: Mitte\"}";

	assert_int_equal(ydoc_parse(&doc, "--filter", text, strlen(text), 0, &diags), 0);
	assert_int_equal(filter_parse(&filter, doc, doc->root, &diags), 0);
	memset(&spec, 0, sizeof(spec));
	spec.name = "Köln: \"Mitte\", # 2";
	spec.template = "t2";
	spec.owner = "ann";
	spec.type = RTYPE_CONTACTS;
	spec.filter = &filter;
	spec.start = "2026-12-07";
	campaign_format(&b, &spec);
	assert_int_equal(campaign_create(f->root, "fresh", b.ptr, b.len, NULL), 0);
	load(f);
	assert_int_equal(f->diags.errors, 0);
	c = find(f, "fresh");
	assert_true(c->valid);
	assert_string_equal(c->name, "Köln: \"Mitte\", # 2");
	assert_string_equal(c->template, "t2");
	assert_int_equal(c->type, RTYPE_CONTACTS);
	assert_int_equal(c->status, CAMPAIGN_ACTIVE);
	assert_int_equal(c->filter.count, 2);
	assert_string_equal(c->filter.terms[0].field, "country");
	assert_int_equal(c->filter.terms[0].nvalues, 2);
	assert_string_equal(c->filter.terms[0].values[1], "A,T");
	assert_string_equal(c->filter.terms[1].values[0], "Köln: Mitte");
	assert_string_equal(c->start_text, "2026-12-07");
	filter_release(&filter);
	ydoc_free(doc);
	diag_release(&diags);
	buf_release(&b);
}

static void test_create_refuses_existing(void **state)
{
	struct fx *f = *state;
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;

	assert_int_equal(campaign_create(f->root, "one", "name: X\n", 8, &undo), -1);
	assert_string_equal(error_last(), "campaign 'one' already exists (campaigns/one)");
	assert_int_equal(undo.count, 0);
	assert_file(f->root, "campaigns/one/campaign.yaml", one_yaml);
	assert_int_equal(campaign_create(f->root, "Bad_Id", "name: X\n", 8, &undo), -1);
	assert_false(exists(f->root, "campaigns/Bad_Id"));
	/* created, then undone: nothing left */
	assert_int_equal(campaign_create(f->root, "three", "name: X\n", 8, &undo), 0);
	assert_file(f->root, "campaigns/three/campaign.yaml", "name: X\n");
	assert_int_equal(campaign_undo_apply(&undo), 0);
	assert_false(exists(f->root, "campaigns/three"));
	campaign_undo_release(&undo);
}

static void test_set_status_and_merged(void **state)
{
	struct fx *f = *state;
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;

	assert_int_equal(campaign_set_status(f->root, "one", "paused"), 0);
	assert_file(f->root, "campaigns/one/campaign.yaml",
		    "# the first half\n"
		    "name: One                                # shown on the site\n"
		    "template: t1\n"
		    "recipient_type: contacts\n"
		    "owner: ann\n"
		    "filter: { country: DE }\n"
		    "status: paused                           # active | paused | merged\n"
		    "start: 2026-12-02\n"
		    "end: 2027-01-31\n");
	/* merged_into goes right after status; the comment stays in its column */
	assert_int_equal(campaign_set_merged(f->root, "one", "both", &undo), 0);
	assert_file(f->root, "campaigns/one/campaign.yaml",
		    "# the first half\n"
		    "name: One                                # shown on the site\n"
		    "template: t1\n"
		    "recipient_type: contacts\n"
		    "owner: ann\n"
		    "filter: { country: DE }\n"
		    "status: merged                           # active | paused | merged\n"
		    "merged_into: both\n"
		    "start: 2026-12-02\n"
		    "end: 2027-01-31\n");
	/* no status line and no final newline: both keys at the end */
	write_campaign(f->root, "two", "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann");
	assert_int_equal(campaign_set_merged(f->root, "two", "both", &undo), 0);
	assert_file(f->root, "campaigns/two/campaign.yaml",
		    "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\n"
		    "status: merged\nmerged_into: both\n");
	/* an existing merged_into line is replaced, its comment kept */
	write_campaign(f->root, "two",
		       "name: Two\nmerged_into: null   # set by merge\ntemplate: t1\nstatus: active\n");
	assert_int_equal(campaign_set_merged(f->root, "two", "both", &undo), 0);
	assert_file(f->root, "campaigns/two/campaign.yaml",
		    "name: Two\nmerged_into: both   # set by merge\ntemplate: t1\nstatus: merged\n");
	/* undo: every file back as it was before the first change */
	assert_int_equal(campaign_undo_apply(&undo), 0);
	assert_int_equal(undo.count, 0);
	assert_file(f->root, "campaigns/one/campaign.yaml",
		    "# the first half\n"
		    "name: One                                # shown on the site\n"
		    "template: t1\n"
		    "recipient_type: contacts\n"
		    "owner: ann\n"
		    "filter: { country: DE }\n"
		    "status: paused                           # active | paused | merged\n"
		    "start: 2026-12-02\n"
		    "end: 2027-01-31\n");
	assert_file(f->root, "campaigns/two/campaign.yaml",
		    "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann");
	campaign_undo_release(&undo);
	assert_int_equal(campaign_set_merged(f->root, "missing", "both", NULL), -1);
}

static void assert_refused(struct fx *f, const char *a, const char *b, const char *message)
{
	const struct campaign *pair[2];

	load(f);
	pair[0] = find(f, a);
	pair[1] = find(f, b);
	assert_int_equal(campaign_merge_check(pair, 2), -1);
	assert_string_equal(error_last(), message);
}

static void test_merge_check(void **state)
{
	struct fx *f = *state;
	const struct campaign *three[3];

	load(f);
	three[0] = find(f, "one");
	three[1] = find(f, "two");
	assert_int_equal(campaign_merge_check(three, 2), 0);
	assert_int_equal(campaign_merge_check(three, 1), -1);
	assert_string_equal(error_last(), "cannot merge: name at least two campaigns");
	three[1] = three[0];
	assert_int_equal(campaign_merge_check(three, 2), -1);
	assert_string_equal(error_last(), "cannot merge: 'one' is named twice");

	write_campaign(f->root, "bob", "name: Bob\ntemplate: t1\nrecipient_type: contacts\nowner: bob\n");
	assert_refused(f, "one", "bob", "cannot merge: 'one' has owner ann, 'bob' has owner bob");
	write_campaign(f->root, "leads", "name: L\ntemplate: t1\nrecipient_type: leads\nowner: ann\n");
	assert_refused(f, "one", "leads",
		       "cannot merge: 'one' has recipient type contacts, 'leads' has recipient type leads");
	write_campaign(f->root, "other", "name: O\ntemplate: t2\nrecipient_type: contacts\nowner: ann\n");
	assert_refused(f, "one", "other", "cannot merge: 'one' has template t1, 'other' has template t2");
	write_campaign(f->root, "all", "name: A\ntemplate: t2\nrecipient_type: leads\nowner: bob\n");
	assert_refused(f, "one", "all",
		       "cannot merge: 'one' has template t1, 'all' has template t2; "
		       "'one' has recipient type contacts, 'all' has recipient type leads; "
		       "'one' has owner ann, 'all' has owner bob");
	/* the first that differs from the first campaign is named */
	load(f);
	three[0] = find(f, "one");
	three[1] = find(f, "two");
	three[2] = find(f, "bob");
	assert_int_equal(campaign_merge_check(three, 3), -1);
	assert_string_equal(error_last(), "cannot merge: 'one' has owner ann, 'bob' has owner bob");

	write_campaign(f->root, "gone", "name: G\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstatus: merged\nmerged_into: x\n");
	assert_refused(f, "one", "gone", "cannot merge: 'gone' was merged into 'x' already");
	write_campaign(f->root, "broken", "name: B\ntemplate: nope\nrecipient_type: contacts\nowner: ann\n");
	assert_refused(f, "broken", "one", "cannot merge: 'broken' has errors ('mailout validate' shows them)");
}

static void test_merge_writes_all(void **state)
{
	struct fx *f = *state;
	const struct campaign *pair[2];
	struct campaign_undo undo = CAMPAIGN_UNDO_INIT;
	const struct campaign *c;
	time_t now;

	assert_int_equal(time_parse_rfc3339("2026-12-07T17:00:00Z", &now), 0);
	load(f);
	pair[0] = find(f, "two");
	pair[1] = find(f, "one");
	assert_int_equal(campaign_merge(f->root, pair, 2, "both", NULL, now, &undo), 0);
	assert_file(f->root, "campaigns/both/campaign.yaml",
		    "name: Two (merged)                       # shown in status and on the site\n"
		    "template: t1                             # templates/t1.md\n"
		    "recipient_type: contacts                 # contacts | companies | leads\n"
		    "merged_from: [two, one]                  # what these selected, with their history\n"
		    "owner: ann                               # only ann's contacts are selected\n"
		    "status: active                           # active | paused | merged\n"
		    "start: 2026-12-01T09:00                  # nothing is sent before\n"
		    "end: 2027-01-31                          # nothing is sent after this day\n"
		    "vip_only: false                          # true: VIP recipients only\n");
	assert_file(f->root, "campaigns/both/commands.tsv",
		    "#mailout-log v2\n"
		    "2026-12-07T17:00:00Z\tmerged\ttwo\n"
		    "2026-12-07T17:00:00Z\tmerged\tone\n");
	assert_file(f->root, "campaigns/two/campaign.yaml",
		    "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nfilter: { country: FR }\n"
		    "start: 2026-12-01T09:00\nend: 2027-01-15\nvip_only: true\n"
		    "status: merged\nmerged_into: both\n");
	/* it loads as a merge of the two, without errors */
	load(f);
	assert_int_equal(f->diags.errors, 0);
	c = find(f, "both");
	assert_true(c->valid);
	assert_int_equal(c->nmerged_from, 2);
	assert_ptr_equal(c->sources[0], find(f, "two"));
	assert_int_equal(find(f, "one")->status, CAMPAIGN_MERGED);
	assert_string_equal(find(f, "one")->merged_into, "both");
	/* and can be taken back completely */
	assert_int_equal(campaign_undo_apply(&undo), 0);
	assert_false(exists(f->root, "campaigns/both"));
	assert_file(f->root, "campaigns/one/campaign.yaml", one_yaml);
	assert_file(f->root, "campaigns/two/campaign.yaml", two_yaml);
	campaign_undo_release(&undo);
}

static void test_merge_options(void **state)
{
	struct fx *f = *state;
	const struct campaign *pair[2];

	/* a paused source pauses the merge; no start or end when one has none;
	 * vip_only only when all have it */
	write_campaign(f->root, "one",
		       "name: One\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstatus: paused\nvip_only: true\nend: 2027-02-01\n");
	write_campaign(f->root, "two", "name: Two\ntemplate: t1\nrecipient_type: contacts\nowner: ann\nstart: 2026-12-03\nvip_only: true\n");
	load(f);
	pair[0] = find(f, "one");
	pair[1] = find(f, "two");
	assert_int_equal(campaign_merge(f->root, pair, 2, "both", "Winter: all", 0, NULL), 0);
	assert_file(f->root, "campaigns/both/campaign.yaml",
		    "name: \"Winter: all\"                      # shown in status and on the site\n"
		    "template: t1                             # templates/t1.md\n"
		    "recipient_type: contacts                 # contacts | companies | leads\n"
		    "merged_from: [one, two]                  # what these selected, with their history\n"
		    "owner: ann                               # only ann's contacts are selected\n"
		    "status: paused                           # active | paused | merged\n"
		    "vip_only: true                           # true: VIP recipients only\n");
	/* into must be new */
	load(f);
	pair[0] = find(f, "one");
	write_campaign(f->root, "three", "name: Three\ntemplate: t1\nrecipient_type: contacts\nowner: ann\n");
	write_campaign(f->root, "four", "name: Four\ntemplate: t1\nrecipient_type: contacts\nowner: ann\n");
	load(f);
	pair[0] = find(f, "three");
	pair[1] = find(f, "four");
	assert_int_equal(campaign_merge(f->root, pair, 2, "four", NULL, 0, NULL), -1);
	assert_string_equal(error_last(), "cannot merge: 'four' is one of the campaigns merged; choose a new id");
	assert_int_equal(campaign_merge(f->root, pair, 2, "both", NULL, 0, NULL), -1);
	assert_string_equal(error_last(), "campaign 'both' already exists (campaigns/both)");
	assert_file(f->root, "campaigns/three/campaign.yaml",
		    "name: Three\ntemplate: t1\nrecipient_type: contacts\nowner: ann\n");
	/* a merge does not nest */
	write_campaign(f->root, "five", "name: Five\ntemplate: t1\nrecipient_type: contacts\nowner: ann\n");
	load(f);
	pair[0] = find(f, "both");
	pair[1] = find(f, "five");
	assert_int_equal(campaign_merge(f->root, pair, 2, "six", NULL, 0, NULL), -1);
	assert_string_equal(error_last(), "cannot merge: 'both' was made by a merge itself, and merges do not nest");
	assert_false(exists(f->root, "campaigns/six"));
}

/* A source that cannot be changed: everything written before is undone. */
static void test_merge_all_or_nothing(void **state)
{
	struct fx *f = *state;
	const struct campaign *pair[2];
	char *path;

	load(f);
	pair[0] = find(f, "one");
	pair[1] = find(f, "two");
	/* the second source's file disappears after loading */
	path = xasprintf("%s/campaigns/two/campaign.yaml", f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(campaign_merge(f->root, pair, 2, "both", NULL, 0, NULL), -1);
	assert_string_equal(error_last(), "cannot read 'campaigns/two/campaign.yaml': No such file or directory");
	assert_false(exists(f->root, "campaigns/both"));
	assert_file(f->root, "campaigns/one/campaign.yaml", one_yaml);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_new),
		cmocka_unit_test_setup_teardown(test_load_finds_the_folder_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_status_and_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_writes_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_all_or_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
