/* nftw() */
#define _XOPEN_SOURCE 700

#include "initfiles.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "gitrepo.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

#define YOURS "# yours"
#define PIN_MAX 4096

/* ---- mailout-version ---- */

static int pin_value_ok(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return 0;
	}
	return len > 0 && v[0] != '-';
}

/* One "key: value" line: 0, or -1 (diagnostic added). */
static int pin_line(struct init_pin *out, const char *line, size_t len, size_t lineno,
		    const char *path, struct diag_list *diags)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t klen, vlen;
	char **slot = NULL;

	if (!colon) {
		diag_add(diags, DIAG_ERROR, path, (int)lineno, 1, "expected 'source: URL' or 'ref: REF'");
		return -1;
	}
	klen = (size_t)(colon - line);
	if (klen == 6 && !memcmp(line, "source", 6))
		slot = &out->source;
	else if (klen == 3 && !memcmp(line, "ref", 3))
		slot = &out->ref;
	if (!slot) {
		diag_add(diags, DIAG_ERROR, path, (int)lineno, 1,
			 "unknown key '%.*s' (known: source, ref)", (int)(klen > 64 ? 64 : klen), line);
		return -1;
	}
	v = colon + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(line + len - v);
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (*slot) {
		diag_add(diags, DIAG_ERROR, path, (int)lineno, 1, "'%s' is given twice", slot == &out->ref ? "ref" : "source");
		return -1;
	}
	if (!pin_value_ok(v, vlen)) {
		diag_add(diags, DIAG_ERROR, path, (int)lineno, (int)(v - line) + 1,
			 "'%s' needs one word without spaces or control characters, not starting with '-'",
			 slot == &out->ref ? "ref" : "source");
		return -1;
	}
	*slot = xstrndup(v, vlen);
	return 0;
}

int init_pin_parse(struct init_pin *out, const char *text, size_t len, const char *path,
		   struct diag_list *diags)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (len > PIN_MAX) {
		diag_add(diags, DIAG_ERROR, path, 0, 0, "larger than %d bytes", PIN_MAX);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\0', n)) {
			diag_add(diags, DIAG_ERROR, path, (int)lineno, 1, "holds a NUL byte");
			ret = -1;
		} else if (n && p[0] != '#' && pin_line(out, p, n, lineno, path, diags) < 0) {
			ret = -1;
		}
		p = nl ? nl + 1 : end;
	}
	if (ret == 0 && (!out->source || !out->ref)) {
		diag_add(diags, DIAG_ERROR, path, (int)lineno + 1, 1, "no '%s:' line",
			 out->source ? "ref" : "source");
		ret = -1;
	}
	return ret;
}

void init_pin_release(struct init_pin *pin)
{
	free(pin->source);
	free(pin->ref);
	memset(pin, 0, sizeof(*pin));
}

/* ---- rendering ---- */

/* The names of secrets a list stands for, without repeats, in the order
 * mailout.yaml gives them, each with what it is. */
struct secret_list {
	const char *names[64], *what[64], *account[64];
	size_t count;
};

static void secret_add(struct secret_list *l, const char *name, const char *what, const char *account)
{
	size_t i;

	if (!name || l->count == sizeof(l->names) / sizeof(l->names[0]))
		return;
	for (i = 0; i < l->count; i++) {
		if (!strcmp(l->names[i], name))
			return;
	}
	l->names[l->count] = name;
	l->what[l->count] = what;
	l->account[l->count++] = account;
}

/* The account secrets of cfg: every account's, or (imap_only) those of the
 * accounts that read a mailbox. */
static void account_secrets(struct secret_list *l, const struct config *cfg, int imap_only)
{
	size_t i;

	for (i = 0; cfg && i < cfg->naccounts; i++) {
		const struct account *a = &cfg->accounts[i];

		if (imap_only && !a->imap)
			continue;
		secret_add(l, a->password_env, "password_env", a->id);
		secret_add(l, a->client_secret_env, "client_secret_env", a->id);
		secret_add(l, a->refresh_token_env, "refresh_token_env", a->id);
	}
}

/* The items of list name (a NUL-separated, doubly terminated list in out);
 * 0, or -1 for a name that is no list. */
static int list_items(struct buf *out, const char *name, size_t len, const struct config *cfg)
{
	struct secret_list l;
	int style;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (len == 19 && !memcmp(name, "UNSUBSCRIBE_SECRETS", len)) {
		secret_add(&l, cfg ? cfg->unsubscribe_password_env : NULL, "", NULL);
		style = 0;
	} else if (len == 14 && !memcmp(name, "BOUNCE_SECRETS", len)) {
		account_secrets(&l, cfg, 1);
		style = 0;
	} else if (len == 15 && !memcmp(name, "ACCOUNT_SECRETS", len)) {
		account_secrets(&l, cfg, 0);
		style = 0;
	} else if ((len == 9 && !memcmp(name, "VARIABLES", len)) ||
		   (len == 8 && !memcmp(name, "ENV_FILE", len))) {
		secret_add(&l, cfg ? cfg->unsubscribe_password_env : NULL, "unsubscribe.password_env", NULL);
		account_secrets(&l, cfg, 0);
		style = name[0] == 'V' ? 1 : 2;
	} else {
		return -1;
	}
	for (i = 0; i < l.count; i++) {
		if (style == 0) {
			buf_addf(out, "%s: ${{ secrets.%s }}", l.names[i], l.names[i]);
		} else {
			size_t start = out->len;

			buf_addf(out, style == 1 ? "%s" : "%s=...", l.names[i]);
			while (out->len - start < 24)
				buf_addc(out, ' ');
			buf_addf(out, " %s", l.what[i]);
			if (l.account[i])
				buf_addf(out, " of account %s", l.account[i]);
		}
		buf_addc(out, '\0');
	}
	buf_addc(out, '\0');
	return 0;
}

/* The text of line [p, p+n) with @SOURCE@ and @REF@ replaced. */
static void add_pinned(struct buf *out, const char *p, size_t n, const struct init_pin *pin)
{
	const char *end = p + n;

	while (p < end) {
		const char *at = memchr(p, '@', (size_t)(end - p));

		if (!at) {
			buf_add(out, p, (size_t)(end - p));
			break;
		}
		buf_add(out, p, (size_t)(at - p));
		if ((size_t)(end - at) >= 8 && !memcmp(at, "@SOURCE@", 8)) {
			buf_adds(out, pin && pin->source ? pin->source : INIT_SOURCE_PLACEHOLDER);
			p = at + 8;
		} else if ((size_t)(end - at) >= 5 && !memcmp(at, "@REF@", 5)) {
			buf_adds(out, pin && pin->ref ? pin->ref : "v" MAILOUT_VERSION);
			p = at + 5;
		} else {
			buf_addc(out, '@');
			p = at + 1;
		}
	}
}

/* A line the repository owns: marked, or after a marked comment line. */
static int is_marked(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + sizeof(YOURS) - 1 <= n; i++) {
		if (!memcmp(p + i, YOURS, sizeof(YOURS) - 1))
			return 1;
	}
	return 0;
}

static int is_comment(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	return n && *p == '#';
}

/* Lines of text: ptr and length of each, in *lines_out (free it). */
static size_t split_lines(const char *text, const char ***starts_out, size_t **lens_out)
{
	size_t count = 0, cap = 16;
	const char **starts = xcalloc(cap, sizeof(*starts));
	size_t *lens = xcalloc(cap, sizeof(*lens));
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (count == cap) {
			cap *= 2;
			starts = xrealloc(starts, cap * sizeof(*starts));
			lens = xrealloc(lens, cap * sizeof(*lens));
		}
		starts[count] = p;
		lens[count++] = n;
		p += n + (nl ? 1 : 0);
	}
	*starts_out = starts;
	*lens_out = lens;
	return count;
}

/* The repository's own lines of old, in order: each marked line, and the
 * line after a marked comment. */
struct yours {
	const char **starts;
	size_t *lens;
	size_t count, used;
	const char **own;
	size_t *own_lens;
	size_t nown;
};

static void yours_collect(struct yours *y, const char *old)
{
	size_t i;

	memset(y, 0, sizeof(*y));
	if (!old)
		return;
	y->count = split_lines(old, &y->starts, &y->lens);
	y->own = xcalloc(y->count + 1, sizeof(*y->own));
	y->own_lens = xcalloc(y->count + 1, sizeof(*y->own_lens));
	for (i = 0; i < y->count; i++) {
		if (!is_marked(y->starts[i], y->lens[i]))
			continue;
		y->own[y->nown] = y->starts[i];
		y->own_lens[y->nown++] = y->lens[i];
		if (is_comment(y->starts[i], y->lens[i]) && i + 1 < y->count) {
			i++;
			y->own[y->nown] = y->starts[i];
			y->own_lens[y->nown++] = y->lens[i];
		}
	}
}

static void yours_release(struct yours *y)
{
	free(y->starts);
	free(y->lens);
	free(y->own);
	free(y->own_lens);
}

/* Line [p, p+n) of a template, as rendered, with its final newline. */
static void render_line(struct buf *out, const char *p, size_t n, const struct config *cfg,
			const struct init_pin *pin)
{
	struct buf items = BUF_INIT;
	const char *at = n > 2 && p[n - 1] == '@' ? memchr(p, '@', n - 1) : NULL;
	const char *item;

	while (at && memchr(at + 1, '@', (size_t)(p + n - 1 - (at + 1))))
		at = memchr(at + 1, '@', (size_t)(p + n - 1 - (at + 1)));
	if (at && list_items(&items, at + 1, (size_t)(p + n - 2 - at), cfg) == 0) {
		for (item = items.ptr; *item; item += strlen(item) + 1) {
			buf_add(out, p, (size_t)(at - p));
			buf_adds(out, item);
			buf_addc(out, '\n');
		}
	} else {
		add_pinned(out, p, n, pin);
		buf_addc(out, '\n');
	}
	buf_release(&items);
}

void init_render(struct buf *out, const char *text, const struct config *cfg,
		 const struct init_pin *pin, const char *old)
{
	const char **starts;
	size_t *lens, count, i;
	struct yours y;

	yours_collect(&y, old);
	count = split_lines(text, &starts, &lens);
	for (i = 0; i < count; i++) {
		int marked = is_marked(starts[i], lens[i]);
		int pair = marked && is_comment(starts[i], lens[i]) && i + 1 < count;
		size_t k, want = pair ? 2 : 1;

		if (marked && y.used + want <= y.nown &&
		    is_marked(y.own[y.used], y.own_lens[y.used])) {
			for (k = 0; k < want; k++, y.used++) {
				buf_add(out, y.own[y.used], y.own_lens[y.used]);
				buf_addc(out, '\n');
			}
			i += want - 1;
			continue;
		}
		render_line(out, starts[i], lens[i], cfg, pin);
	}
	free(starts);
	free(lens);
	yours_release(&y);
}

size_t init_compare(const char *rendered, const char *actual)
{
	const char **ra, **aa;
	size_t *rl, *al, rn, an, i, first = 0;

	rn = split_lines(rendered, &ra, &rl);
	an = split_lines(actual, &aa, &al);
	for (i = 0; i < rn && i < an && !first; i++) {
		if (is_marked(ra[i], rl[i])) {
			if (!is_marked(aa[i], al[i]))
				first = i + 1;
			else if (is_comment(ra[i], rl[i]))
				i++; /* the next line is the repository's */
			continue;
		}
		if (rl[i] != al[i] || memcmp(ra[i], aa[i], rl[i]))
			first = i + 1;
	}
	if (!first && rn != an)
		first = (rn < an ? rn : an) + 1;
	if (!first && rn && (rendered[strlen(rendered) - 1] == '\n') != (actual[strlen(actual) - 1] == '\n'))
		first = rn;
	free(ra);
	free(rl);
	free(aa);
	free(al);
	return first;
}

/* ---- which files ---- */

enum file_kind {
	KIND_EXAMPLE, /* the team's from the start: written once */
	KIND_PIN, /* mailout-version */
	KIND_IGNORE, /* .gitignore: its lines must be there */
	KIND_TOOL /* workflows and units: as this version writes them */
};

static enum file_kind file_kind(const char *path)
{
	if (!strcmp(path, INIT_PIN_FILE))
		return KIND_PIN;
	if (!strcmp(path, ".gitignore"))
		return KIND_IGNORE;
	if (!strncmp(path, ".github/", 8) || !strcmp(path, ".gitlab-ci.yml") ||
	    !strncmp(path, "deploy/", 7))
		return KIND_TOOL;
	return KIND_EXAMPLE;
}

/* The option a file needs (0: always written). */
static unsigned file_flag(const char *path)
{
	if (!strcmp(path, ".gitlab-ci.yml"))
		return INIT_GITLAB;
	if (!strncmp(path, "deploy/", 7))
		return INIT_SYSTEMD;
	return 0;
}

static const struct init_file *find_file(const char *path)
{
	const struct init_file *f;

	for (f = init_files; f->path; f++) {
		if (!strcmp(f->path, path))
			return f;
	}
	return NULL;
}

static void list_add(char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

/* Writes root/path atomically, its folders made first. */
static int write_file(const char *root, const char *path, const struct buf *text)
{
	if (content_mkdir_parents(root, path) < 0 ||
	    content_write_atomic(root, path, text->ptr, text->len) < 0)
		return -1;
	return 0;
}

/* The file as the repository has it: 1 read, 0 absent, -1 (error_set). */
static int read_file(struct buf *out, const char *root, const char *path)
{
	int r = content_read(out, root, path, 1024 * 1024, NULL);

	if (r < 0 && errno == ENOENT && r != CONTENT_REFUSED) {
		error_clear();
		return 0;
	}
	return r < 0 ? -1 : 1;
}

/* ---- a new repository ---- */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* dir absent or an empty folder: 0; else -1 (error_set). */
static int check_empty(const char *dir)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : error_set("cannot read '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set("'%s' exists and is not a directory", dir);
	d = opendir(dir);
	if (!d)
		return error_set("cannot read '%s': %s", dir, strerror(errno));
	while (ret == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ret = error_set("'%s' is not empty: init writes a new repository into an empty or "
					"new directory ('mailout init --update' mends an existing one)", dir);
	}
	closedir(d);
	return ret;
}

/* Renders f for cfg and pin into out, from the repository's old text (NULL: none). */
static void render_file(struct buf *out, const struct init_file *f, const struct config *cfg,
			const struct init_pin *pin, const char *old)
{
	buf_reset(out);
	init_render(out, f->text, cfg, pin, old);
}

/* Writes the files of a new repository that flags select into root: the
 * example, the pin and .gitignore first, then, from the mailout.yaml just
 * written, the tool files.  *author_out is its git.author (free it). */
static int write_all(const char *root, unsigned flags, const struct init_pin *pin,
		     char ***paths, size_t *n, char **author_out, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	const struct init_file *f;
	struct config cfg;
	int pass, ret = -1;

	memset(&cfg, 0, sizeof(cfg));
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && (config_load(&cfg, root, diags) < 0 || diags->errors)) {
			error_set("the example %s has errors", CONFIG_FILE);
			goto done;
		}
		for (f = init_files; f->path; f++) {
			if ((file_kind(f->path) == KIND_TOOL) != pass ||
			    (file_flag(f->path) & ~flags))
				continue;
			render_file(&text, f, pass ? &cfg : NULL, pin, NULL);
			if (write_file(root, f->path, &text) < 0)
				goto done;
			list_add(paths, n, f->path);
		}
	}
	*author_out = cfg.git_author ? xstrdup(cfg.git_author) : NULL;
	ret = 0;
done:
	config_release(&cfg);
	buf_release(&text);
	return ret;
}

/* The folder dir's new repository is made in: beside it, named after it. */
static char *make_temp_dir(const char *dir)
{
	size_t len = strlen(dir);
	char *tmp;
	mode_t mask;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	tmp = xasprintf("%.*s.init-XXXXXX", (int)len, dir);
	if (!mkdtemp(tmp)) {
		error_set("cannot create a folder beside '%s': %s", dir, strerror(errno));
		free(tmp);
		return NULL;
	}
	mask = umask(0);
	umask(mask);
	chmod(tmp, 0777 & ~mask);
	return tmp;
}

int init_create(const char *dir, unsigned flags, const char *source, const char *ref,
		char ***paths_out, size_t *npaths_out, struct diag_list *diags)
{
	struct init_pin pin = { (char *)source, (char *)ref };
	struct gitrepo *g = NULL;
	char *tmp = NULL, *author = NULL;
	int committed = 0, ret = -1;

	*paths_out = NULL;
	*npaths_out = 0;
	if (check_empty(dir) < 0 || !(tmp = make_temp_dir(dir)))
		goto done;
	if (write_all(tmp, flags, &pin, paths_out, npaths_out, &author, diags) < 0 ||
	    gitrepo_init(tmp, "main") < 0 || gitrepo_open(&g, tmp) < 0 ||
	    gitrepo_commit(g, (const char *const *)*paths_out, *npaths_out, author,
			   "A content repository for mailout " MAILOUT_VERSION ", written by mailout init",
			   &committed) < 0)
		goto done;
	/* an empty dir is replaced, an absent one made: either way at once */
	if (rename(tmp, dir) < 0) {
		error_set("cannot move the new repository to '%s': %s", dir, strerror(errno));
		goto done;
	}
	ret = 0;
done:
	gitrepo_free(g);
	if (ret < 0 && tmp) {
		nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free_list(*paths_out, *npaths_out);
		*paths_out = NULL;
		*npaths_out = 0;
	}
	free(tmp);
	free(author);
	return ret;
}

/* ---- the check ---- */

static void report_add(struct init_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report_add(struct init_report *r, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	r->lines = xrealloc(r->lines, (r->count + 1) * sizeof(*r->lines));
	r->lines[r->count++] = buf_detach(&line, NULL);
}

void init_report_release(struct init_report *r)
{
	free_list(r->lines, r->count);
	memset(r, 0, sizeof(*r));
}

/* The lines of .gitignore's template that text lacks, each ending in '\n'. */
static void ignore_missing(struct buf *out, const char *tmpl, const char *text)
{
	const char **ts, **as;
	size_t *tl, *al, tn, an, i, j;

	tn = split_lines(tmpl, &ts, &tl);
	an = split_lines(text, &as, &al);
	for (i = 0; i < tn; i++) {
		int found = 0;

		if (!tl[i] || ts[i][0] == '#')
			continue;
		for (j = 0; j < an && !found; j++)
			found = al[j] == tl[i] && !memcmp(as[j], ts[i], tl[i]);
		if (!found) {
			buf_add(out, ts[i], tl[i]);
			buf_addc(out, '\n');
		}
	}
	free(ts);
	free(tl);
	free(as);
	free(al);
}

/* A whole copy of the mailout repository: its source and Makefile. */
static int is_whole_copy(const char *root)
{
	struct stat st;

	return content_dir_check(root, "src") == 1 && content_stat(root, "Makefile", &st) == 0;
}

/* Reads mailout-version: 1 read into pin, 0 absent, -1 (diagnostics or error_set). */
static int read_pin(struct init_pin *pin, const char *root, struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	int r = read_file(&text, root, INIT_PIN_FILE);

	memset(pin, 0, sizeof(*pin));
	if (r > 0 && init_pin_parse(pin, text.ptr, text.len, INIT_PIN_FILE, diags) < 0)
		r = -1;
	buf_release(&text);
	return r;
}

/* The pin's own findings: the placeholder, another release's tag. */
static void check_pin(struct init_report *r, const struct init_pin *pin)
{
	const char *v = pin->ref;

	if (!strcmp(pin->source, INIT_SOURCE_PLACEHOLDER))
		report_add(r, "%s: 'source' is the placeholder %s; set it to the git URL of your mailout",
			   INIT_PIN_FILE, INIT_SOURCE_PLACEHOLDER);
	if (v[0] == 'v' && v[1] >= '0' && v[1] <= '9' && strspn(v + 1, "0123456789.") == strlen(v + 1) &&
	    strcmp(v + 1, MAILOUT_VERSION))
		report_add(r, "%s: pins %s, this is mailout %s; check with the pinned mailout "
			      "(deploy/install-mailout.sh --version-file %s)",
			   INIT_PIN_FILE, v, MAILOUT_VERSION, INIT_PIN_FILE);
}

/* One tool file, the pin or .gitignore against what this version writes. */
static int check_file(struct init_report *r, const char *root, const struct init_file *f,
		      const struct config *cfg, const struct init_pin *pin)
{
	struct buf actual = BUF_INIT, want = BUF_INIT;
	int present = read_file(&actual, root, f->path);
	size_t line;

	if (present < 0) {
		buf_release(&actual);
		return -1;
	}
	if (file_flag(f->path) && !present)
		goto done; /* an option the repository does not use */
	r->flags |= file_flag(f->path);
	r->checked++;
	if (!present) {
		report_add(r, "%s: missing; run 'mailout init --update %s'", f->path, f->path);
	} else if (file_kind(f->path) == KIND_IGNORE) {
		ignore_missing(&want, f->text, actual.ptr);
		if (want.len) {
			buf_truncate(&want, strcspn(want.ptr, "\n"));
			report_add(r, "%s: lacks the line '%s'; run 'mailout init --update %s'", f->path,
				   want.ptr, f->path);
		}
	} else {
		render_file(&want, f, cfg, pin, actual.ptr);
		line = init_compare(want.ptr, actual.ptr);
		if (line)
			report_add(r, "%s: line %zu is not what mailout %s writes; run 'mailout init --update %s'",
				   f->path, line, MAILOUT_VERSION, f->path);
	}
done:
	buf_release(&actual);
	buf_release(&want);
	return 0;
}

int init_check(struct init_report *out, const char *root, struct diag_list *diags)
{
	const struct init_file *f;
	struct init_pin pin;
	struct config cfg;
	int r, ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	if (is_whole_copy(root))
		report_add(out, "src/, Makefile: this repository holds a copy of mailout's source; move to a "
				"pinned mailout (README, \"Moving an existing copy\"): git rm -r src cmd tests "
				"site docs deploy .ci Makefile, then mailout init --update --source URL --ref REF "
				"and mailout init --check");
	r = read_pin(&pin, root, diags);
	if (r < 0 || config_load(&cfg, root, diags) < 0 || diags->errors)
		goto done;
	if (r > 0)
		check_pin(out, &pin);
	for (f = init_files; f->path; f++) {
		if (file_kind(f->path) == KIND_EXAMPLE || (!r && file_kind(f->path) == KIND_PIN))
			continue;
		if (check_file(out, root, f, &cfg, &pin) < 0)
			goto done;
	}
	if (!r)
		report_add(out, "%s: missing; run 'mailout init --update %s --source URL --ref REF'",
			   INIT_PIN_FILE, INIT_PIN_FILE);
	ret = 0;
done:
	config_release(&cfg);
	init_pin_release(&pin);
	return ret;
}

/* ---- updates ---- */

static int wanted(const char *path, const char *const *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(paths[i], path))
			return 1;
	}
	return n == 0;
}

/* Rewrites f in root when it is not what this version writes: 1 written, 0 not, -1. */
static int update_file(const char *root, const struct init_file *f, const struct config *cfg,
		       const struct init_pin *pin)
{
	struct buf actual = BUF_INIT, want = BUF_INIT;
	int present = read_file(&actual, root, f->path), ret = -1;

	if (present < 0)
		goto done;
	if (file_kind(f->path) == KIND_IGNORE && present) {
		ignore_missing(&want, f->text, actual.ptr);
		if (want.len && actual.len && actual.ptr[actual.len - 1] != '\n')
			buf_addc(&actual, '\n');
		buf_add(&actual, want.ptr, want.len);
		ret = want.len ? write_file(root, f->path, &actual) == 0 : 0;
		goto done;
	}
	render_file(&want, f, cfg, pin, present ? actual.ptr : NULL);
	if (present && !init_compare(want.ptr, actual.ptr) && want.len == actual.len) {
		ret = 0;
		goto done;
	}
	ret = write_file(root, f->path, &want) == 0;
done:
	buf_release(&actual);
	buf_release(&want);
	return ret;
}

/* Every path the caller named is one init writes and may update. */
static int check_names(const char *const *paths, size_t n)
{
	const struct init_file *f;
	size_t i;

	for (i = 0; i < n; i++) {
		f = find_file(paths[i]);
		if (!f || file_kind(f->path) == KIND_EXAMPLE)
			return error_set("'%s' is not a file mailout init keeps current (those are "
					 "mailout-version, .gitignore, .github/workflows/*.yml, .gitlab-ci.yml "
					 "and deploy/mailout-send.*)", paths[i]);
	}
	return 0;
}

int init_update(const char *root, unsigned flags, const char *const *paths, size_t n,
		const char *source, const char *ref, char ***paths_out, size_t *npaths_out,
		struct diag_list *diags)
{
	const struct init_file *f;
	struct init_pin pin;
	struct config cfg;
	struct stat st;
	int r, ret = -1;

	*paths_out = NULL;
	*npaths_out = 0;
	memset(&cfg, 0, sizeof(cfg));
	r = read_pin(&pin, root, diags);
	if (check_names(paths, n) < 0 || r < 0 || config_load(&cfg, root, diags) < 0 || diags->errors)
		goto done;
	if (!r) {
		pin.source = source ? xstrdup(source) : NULL;
		pin.ref = ref ? xstrdup(ref) : NULL;
	}
	for (f = init_files; f->path; f++) {
		unsigned flag = file_flag(f->path);

		if (file_kind(f->path) == KIND_EXAMPLE || !wanted(f->path, paths, n))
			continue;
		if (n == 0 && flag && !(flags & flag) && content_stat(root, f->path, &st) < 0)
			continue; /* an option the repository does not use */
		if (content_mkdir_parents(root, f->path) < 0)
			goto done;
		r = update_file(root, f, &cfg, &pin);
		if (r < 0)
			goto done;
		if (r)
			list_add(paths_out, npaths_out, f->path);
	}
	ret = 0;
done:
	config_release(&cfg);
	init_pin_release(&pin);
	return ret;
}
