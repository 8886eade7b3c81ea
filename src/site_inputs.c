/*
 * What a page of the status site is made from, as one 64-bit hash kept in
 * the site's manifest beside the page: when a build finds a campaign page
 * made from the same inputs, the page cannot have changed and is kept
 * without rendering its newsletter again or making its HTML.
 *
 * The inputs of a campaign page are the program itself (a new build of
 * mailout or of a library it uses may write other HTML), the frame
 * (site/page.html, the assets' versions, the organisation's name, language
 * and departments, whether the site comes from a commit with or without
 * uncommitted changes), the page's own HTML without the frame and the
 * preview (made from the plan at each build, cheaply: it holds every
 * count, time, state and name the page shows), and what the preview is
 * rendered from: the files render_open() reads (hashed once per build
 * each) and the values of mailout.yaml and campaign.yaml the newsletter
 * can use.  Keep the last in step with render_open() and
 * render_context_groups().
 */
#if defined(__linux__)
#define _GNU_SOURCE /* dl_iterate_phdr(), for the build ids */
#endif
#include "site_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <elf.h>
#include <link.h>
#define HAVE_BUILD_ID 1
#endif

#include "render.h"
#include "safefile.h"
#include "xalloc.h"
#include "yamlfile.h"

/* Changes whenever what goes into the hash changes. */
#define INPUTS_SCHEME "mailout site inputs 2"

struct site_input_file {
	uint64_t hash; /* of the content, or of the file's absence */
	int readable; /* read, or absent (ENOENT) */
};

/* ---- feeding the hash: each value with its length, NULL apart ---- */

static uint64_t feed(uint64_t h, const void *data, size_t len)
{
	return hash64(h, data, len); /* which mixes in len */
}

static uint64_t feed_str(uint64_t h, const char *s)
{
	static const uint64_t null = UINT64_MAX;

	return s ? feed(h, s, strlen(s)) : fnv1a(h, &null, sizeof(null));
}

static uint64_t feed_long(uint64_t h, long v)
{
	int64_t n = v;

	return fnv1a(h, &n, sizeof(n));
}

/* ---- the program ---- */

#ifdef HAVE_BUILD_ID
struct build_ids {
	uint64_t hash;
	int found; /* the program's own, the first object listed */
	size_t objects;
};

/* The GNU build id of one loaded object (the program, each library). */
static int add_build_id(struct dl_phdr_info *info, size_t size, void *payload)
{
	struct build_ids *ids = payload;
	size_t i;
	int found = 0;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *at = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		const unsigned char *end = at + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (!found && at + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)at;
			size_t name = (nh->n_namesz + 3) & ~(size_t)3, desc = (nh->n_descsz + 3) & ~(size_t)3;
			const unsigned char *d = at + sizeof(*nh) + name;

			if (d + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(at + sizeof(*nh), "GNU", 4)) {
				ids->hash = feed(ids->hash, d, nh->n_descsz);
				found = 1;
			}
			at = d + desc;
		}
	}
	/* an object without one: its name at least (libraries are replaced,
	 * not changed in place, by packages) */
	if (!found)
		ids->hash = feed_str(ids->hash, info->dlpi_name);
	if (ids->objects++ == 0)
		ids->found = found;
	return 0;
}
#endif

/* The program and the libraries loaded with it; 0 when the program has no
 * build id to tell it from another build. */
static uint64_t program_id(void)
{
#ifdef HAVE_BUILD_ID
	struct build_ids ids = { FNV1A_INIT, 0, 0 };

	dl_iterate_phdr(add_build_id, &ids);
	return ids.found ? ids.hash : 0;
#else
	return 0;
#endif
}

void site_inputs_begin(struct site *s)
{
	const struct config *cfg = s->cfg;
	uint64_t program = program_id(), h = FNV1A_INIT;
	size_t i;

	s->site_inputs = 0;
	if (!program)
		return;
	h = feed_str(h, INPUTS_SCHEME);
	h = fnv1a(h, &program, sizeof(program));
	h = fnv1a(h, &s->theme.page_source, sizeof(s->theme.page_source));
	h = feed_str(h, s->theme.css_href);
	h = feed_str(h, s->theme.js_href);
	/* the frame: the title's room, the header, the navigation, lang */
	h = feed_str(h, cfg->org_name);
	h = feed_str(h, cfg->language);
	h = feed_long(h, (long)cfg->ndepartments);
	for (i = 0; i < cfg->ndepartments; i++) {
		h = feed_str(h, cfg->departments[i].id);
		h = feed_str(h, cfg->departments[i].name);
	}
	/* the footer: the commit itself is a stamp (site_files.c), whether
	 * there is one is not */
	h = feed_long(h, plan_commit(s->p)[0] != '\0');
	h = feed_long(h, plan_dirty(s->p));
	s->site_inputs = h ? h : 1;
}

/* ---- the preview ---- */

/* The hash of root/rel as render_open() reads it (once per build); 0 when
 * it cannot be read (absent counts as read: optional files). */
static int file_input(uint64_t *out, struct site *s, const char *rel)
{
	struct strmap_entry *e = strmap_put(&s->input_files, rel, NULL);
	struct site_input_file *f = e->value;

	if (!f) {
		struct buf text = BUF_INIT;
		int r = content_read(&text, plan_root(s->p), rel, YAMLFILE_MAX_SIZE, NULL);

		f = e->value = xcalloc(1, sizeof(*f));
		if (r == 0) {
			f->hash = feed(FNV1A_INIT, text.ptr, text.len);
			f->readable = 1;
		} else if (r == -1 && errno == ENOENT) {
			f->hash = feed_str(FNV1A_INIT, NULL);
			f->readable = 1;
		}
		buf_release(&text);
	}
	*out = f->hash;
	return f->readable;
}

/* What the newsletter of c is rendered from, fed to h; 0 when a file
 * cannot be read. */
static int preview_inputs(uint64_t *h, struct site *s, const struct campaign *c)
{
	const struct config *cfg = s->cfg;
	const struct person *owner = c->owner ? config_person(cfg, c->owner) : NULL;
	struct buf rel = BUF_INIT;
	uint64_t file[4];
	int ok;

	if (!c->template || !c->owner)
		return 0;
	buf_addf(&rel, "templates/%s.md", c->template);
	ok = file_input(&file[0], s, rel.ptr);
	buf_reset(&rel);
	buf_addf(&rel, "templates/signatures/%s.md", c->owner);
	ok = file_input(&file[1], s, rel.ptr) && ok;
	ok = file_input(&file[2], s, LAYOUT_FILE) && ok;
	ok = file_input(&file[3], s, FOOTER_FILE) && ok;
	buf_release(&rel);
	if (!ok)
		return 0;
	*h = fnv1a(*h, file, sizeof(file));
	/* render_context_groups(), the links and the footer */
	*h = feed_str(*h, cfg->org_name);
	*h = feed_str(*h, cfg->postal_address);
	*h = feed_str(*h, cfg->site_url);
	*h = feed_str(*h, cfg->language);
	*h = feed_str(*h, cfg->unsubscribe_address);
	*h = feed_str(*h, cfg->one_click_url);
	*h = feed_str(*h, owner ? owner->id : NULL);
	*h = feed_str(*h, owner ? owner->name : NULL);
	*h = feed_str(*h, owner ? owner->email : NULL);
	*h = feed_str(*h, c->id);
	*h = feed_str(*h, c->name);
	*h = feed_str(*h, c->template);
	*h = feed_str(*h, c->owner);
	*h = feed_long(*h, c->type);
	*h = feed_long(*h, c->vip_only);
	return 1;
}

uint64_t site_page_inputs(struct site *s, const struct campaign *c, const struct buf *body)
{
	uint64_t h = s->site_inputs;

	if (!h || !preview_inputs(&h, s, c))
		return 0;
	h = feed(h, body->ptr, body->len);
	return h ? h : 1;
}

void site_inputs_release(struct site *s)
{
	strmap_release(&s->input_files, free);
}
