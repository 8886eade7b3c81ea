/*
 * The files of the status site: the new site is made in a temporary folder
 * next to the old one and then takes its place in one rename, so a reader
 * sees the old site or the new one, never a mixture.  A file whose content
 * is the same as in the old site (leaving out the build's time stamps) is
 * not written again: the new folder gets a hard link to the old file, which
 * nobody changes in place, so the old site stays whole until the swap and
 * the kept file keeps its time stamp and its mtime (and caches their
 * validity).  The old site's .manifest says which content each file holds.
 *
 * The new folder is made only when the first file differs (then the files
 * kept before it are linked in): a build that changes nothing touches no
 * file and leaves the old site, which is the new one, in place.
 */
#define _GNU_SOURCE /* memmem() */
#include "site_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safefile.h"
#include "xalloc.h"

#define MANIFEST ".manifest"
#define MANIFEST_HEAD "#mailout-site-manifest v2\n"
#define MANIFEST_HEAD_V1 "#mailout-site-manifest v1\n"
#define MANIFEST_MAX (64u << 20)

struct site_file {
	uint64_t hash; /* of the content without the time stamps */
	size_t len;
	uint64_t inputs; /* what the page was made from (site_inputs.c); 0: not known */
	int there; /* found by the scan, a regular file of that length */
};

/* ---- removing ---- */

int site_remove_tree(const char *path)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	struct buf child = BUF_INIT;
	int ret = -1;

	if (lstat(path, &st) < 0) {
		ret = errno == ENOENT ? 0 : -1;
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = unlink(path);
		goto done;
	}
	d = opendir(path);
	if (!d)
		goto done;
	ret = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_reset(&child);
		buf_addf(&child, "%s/%s", path, e->d_name);
		if (site_remove_tree(child.ptr) < 0)
			ret = -1;
	}
	closedir(d);
	if (rmdir(path) < 0)
		ret = -1;
done:
	buf_release(&child);
	return ret;
}

/* Leftovers of builds that were killed. */
static void remove_stale(const char *out_dir)
{
	DIR *d = opendir(out_dir);
	struct dirent *e;
	struct buf path = BUF_INIT;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".site-new-", 10) && strncmp(e->d_name, ".site-old-", 10))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", out_dir, e->d_name);
		site_remove_tree(path.ptr);
	}
	closedir(d);
	buf_release(&path);
}

/* ---- what the old site holds ---- */

/* The hash of data with every occurrence of the build's stamps (its time,
 * the commit it was made from) replaced by one marker byte: the same for a
 * page that differs from the old one in its stamps only, so that a send
 * committing its logs rewrites only the pages whose figures moved. */
static uint64_t content_hash(const struct site *s, const char *data, size_t len)
{
	char abbrev[8];
	const char *stamps[4] = { s->updated_iso, s->updated, plan_commit(s->p), abbrev };
	const char *hit[4], *at = data, *end = data + len, *next;
	size_t n[4], skip, i;
	uint64_t h = FNV1A_INIT;

	/* the commit as the footer shows it, abbreviated */
	snprintf(abbrev, sizeof(abbrev), "%s", plan_commit(s->p));
	/* each stamp's next occurrence, looked for again only once passed
	 * (a list page of 100 KB is read once per stamp) */
	for (i = 0; i < 4; i++) {
		n[i] = strlen(stamps[i]);
		hit[i] = n[i] ? memmem(data, len, stamps[i], n[i]) : NULL;
	}
	for (;;) {
		next = end;
		skip = 0;
		for (i = 0; i < 4; i++) {
			if (hit[i] && (hit[i] < next || (hit[i] == next && n[i] > skip))) {
				next = hit[i];
				skip = n[i];
			}
		}
		h = hash64(h, at, (size_t)(next - at));
		if (!skip)
			return h;
		h = hash64(h, "", 0);
		at = next + skip;
		for (i = 0; i < 4; i++) {
			if (hit[i] && hit[i] < at)
				hit[i] = memmem(at, (size_t)(end - at), stamps[i], n[i]);
		}
	}
}

/* One line of the manifest: "HASH LEN INPUTS PATH" (v1: "HASH LEN PATH"),
 * into *f and *path; 0, or -1 when it is not such a line. */
/* The number at *at (hexadecimal, 16 digits at most, or decimal, 19)
 * ended by a space, which *at then passes; -1 when there is none. */
static int manifest_number(const char **at, int hex, unsigned long long *out)
{
	const char *p = *at;
	unsigned long long v = 0;
	int digits = 0, d;

	for (; *p != ' '; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (hex && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			return -1;
		if (++digits > (hex ? 16 : 19))
			return -1;
		v = v * (hex ? 16 : 10) + (unsigned)d;
	}
	if (!digits)
		return -1;
	*out = v;
	*at = p + 1;
	return 0;
}

static int manifest_line(struct site_file *f, const char **path, const char *line, int v1)
{
	unsigned long long hash, len, inputs = 0;

	/* as manifest_add() writes them: 20,000 lines at 10,000 campaigns */
	if (manifest_number(&line, 1, &hash) < 0 || manifest_number(&line, 0, &len) < 0 ||
	    (!v1 && manifest_number(&line, 1, &inputs) < 0) || !*line)
		return -1;
	f->hash = hash;
	f->len = (size_t)len;
	f->inputs = inputs;
	f->there = 0;
	*path = line;
	return 0;
}

/* Reads site/.manifest of the old site; a missing or unreadable one means
 * nothing is reused. */
static void manifest_load(struct site *s, const char *old_dir)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char *line, *next;
	int v1;

	buf_addf(&path, "%s/%s", old_dir, MANIFEST);
	if (buf_read_file(&text, path.ptr, MANIFEST_MAX) < 0)
		goto done;
	buf_add(&s->old_manifest, text.ptr, text.len);
	v1 = !strncmp(text.ptr, MANIFEST_HEAD_V1, strlen(MANIFEST_HEAD_V1));
	if (!v1 && strncmp(text.ptr, MANIFEST_HEAD, strlen(MANIFEST_HEAD)))
		goto done;
	for (line = text.ptr + strlen(MANIFEST_HEAD); *line; line = next) {
		struct site_file f, *kept;
		struct strmap_entry *e;
		const char *rel;

		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (manifest_line(&f, &rel, line, v1) < 0)
			continue;
		kept = xmalloc(sizeof(*kept));
		*kept = f;
		e = strmap_put(&s->old_files, rel, NULL);
		free(e->value);
		e->value = kept;
	}
done:
	buf_release(&path);
	buf_release(&text);
}

/* The old site's rel as its manifest describes it, when the scan found it
 * there as described (a regular file of that size, not one put there
 * since). */
static const struct site_file *old_file(struct site *s, const char *rel)
{
	struct strmap_entry *e = strmap_get(&s->old_files, rel);
	const struct site_file *f = e ? e->value : NULL;

	return f && f->there ? f : NULL;
}

/* Whether the old site's rel holds this content. */
static int unchanged(struct site *s, const char *rel, uint64_t hash, size_t len)
{
	struct strmap_entry *e = strmap_get(&s->old_files, rel);
	const struct site_file *f = e ? e->value : NULL;

	return f && f->hash == hash && f->len == len && old_file(s, rel);
}

/*
 * What the old site holds, looked at once from the descriptor of each
 * folder (no path looked up from the top again): its regular files with
 * their sizes, and a count of anything else (a link, a FIFO, a folder that
 * cannot be read).  At 10,000 campaigns that is 20,000 files in 10,000
 * folders, so a build starts it on a thread of its own before the plan's
 * refresh and site_files_begin() takes it.
 */
struct site_scan {
	char *dir; /* <out>/site */
	struct buf names; /* the files' paths in the site, each ending in NUL */
	struct site_scan_file {
		size_t name; /* in names */
		off_t size;
	} *files;
	size_t nfiles, cap, others;
	pthread_t thread;
	int running;
};

/* The entries of the folder open at fd, whose path in the site is rel
 * ("" or ending in '/'); closes fd. */
/*
 * A folder's entries, read with getdents64() where glibc has it: readdir()
 * on fdopendir() costs three more calls a folder (fstat, two fcntl), and
 * the scan reads 10,000 folders.
 */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define HAVE_GETDENTS64 1
#endif

struct folder {
	int fd;
#ifdef HAVE_GETDENTS64
	_Alignas(struct dirent64) char buf[8192]; /* records start aligned */
	size_t at, len;
#else
	DIR *d;
#endif
};

/* Takes fd: 0, or -1 (fd closed). */
static int folder_open(struct folder *f, int fd)
{
	f->fd = fd;
#ifdef HAVE_GETDENTS64
	f->at = f->len = 0;
	return 0;
#else
	f->d = fdopendir(fd);
	if (!f->d)
		close(fd);
	return f->d ? 0 : -1;
#endif
}

/* The next entry but "." and "..": 1, 0 at the end, -1 on an error. */
static int folder_next(struct folder *f, const char **name, unsigned char *type)
{
	for (;;) {
#ifdef HAVE_GETDENTS64
		const struct dirent64 *e;
		ssize_t n;

		if (f->at >= f->len) {
			n = getdents64(f->fd, f->buf, sizeof(f->buf));
			if (n <= 0)
				return n < 0 ? -1 : 0;
			f->at = 0;
			f->len = (size_t)n;
		}
		e = (const struct dirent64 *)(const void *)(f->buf + f->at);
		f->at += e->d_reclen;
#else
		const struct dirent *e;

		errno = 0;
		e = readdir(f->d);
		if (!e)
			return errno ? -1 : 0;
#endif
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		*name = e->d_name;
		*type = e->d_type;
		return 1;
	}
}

static void folder_close(struct folder *f)
{
#ifdef HAVE_GETDENTS64
	close(f->fd);
#else
	closedir(f->d);
#endif
}

/* The entries of the folder open at fd, whose path in the site is rel
 * ("" or ending in '/'); closes fd. */
static void scan_folder(struct site_scan *sc, int fd, struct buf *rel)
{
	struct folder f;
	struct stat st;
	size_t at = rel->len;
	const char *name;
	unsigned char type;
	int sub, r;

	if (folder_open(&f, fd) < 0) {
		sc->others++;
		return;
	}
	while ((r = folder_next(&f, &name, &type)) > 0) {
		buf_truncate(rel, at);
		buf_adds(rel, name);
		if (type == DT_DIR) {
			sub = openat(f.fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				sc->others++;
				continue;
			}
			buf_addc(rel, '/');
			scan_folder(sc, sub, rel);
			continue;
		}
		/* the size, and the kind where the folder does not tell it (a
		 * folder found so is not looked into: the site is written again) */
		if ((type != DT_REG && type != DT_UNKNOWN) ||
		    fstatat(f.fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
			sc->others++;
			continue;
		}
		XGROW(sc->files, sc->cap, sc->nfiles + 1);
		sc->files[sc->nfiles].name = sc->names.len;
		sc->files[sc->nfiles++].size = st.st_size;
		buf_add(&sc->names, rel->ptr, rel->len + 1);
	}
	if (r < 0)
		sc->others++; /* the rest of the folder is not known */
	folder_close(&f);
	buf_truncate(rel, at);
}

static void *scan_run(void *payload)
{
	struct site_scan *sc = payload;
	struct buf rel = BUF_INIT;
	int fd = open(sc->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		scan_folder(sc, fd, &rel);
	else if (errno != ENOENT)
		sc->others++;
	buf_release(&rel);
	return NULL;
}

struct site_scan *site_scan_start(const char *out_dir)
{
	struct site_scan *sc = xcalloc(1, sizeof(*sc));

	sc->dir = xasprintf("%s/site", out_dir);
	sc->running = pthread_create(&sc->thread, NULL, scan_run, sc) == 0;
	return sc;
}

/* The finished scan of old_dir: sc when it is of that folder, else one
 * made now (also when no thread could be started). */
static struct site_scan *scan_finish(struct site_scan *sc, const char *old_dir)
{
	if (sc && strcmp(sc->dir, old_dir)) {
		site_scan_free(sc);
		sc = NULL;
	}
	if (!sc) {
		sc = xcalloc(1, sizeof(*sc));
		sc->dir = xstrdup(old_dir);
	}
	if (sc->running) {
		pthread_join(sc->thread, NULL);
		sc->running = 0;
	} else {
		scan_run(sc);
	}
	return sc;
}

void site_scan_free(struct site_scan *sc)
{
	if (!sc)
		return;
	if (sc->running)
		pthread_join(sc->thread, NULL);
	free(sc->dir);
	buf_release(&sc->names);
	free(sc->files);
	free(sc);
}

/* Marks the manifest's files the scan found as described, and counts in
 * s->old_strays what the manifest does not describe. */
static void scan_take(struct site *s, struct site_scan *sc)
{
	size_t i;

	s->old_strays = sc->others;
	for (i = 0; i < sc->nfiles; i++) {
		const char *rel = sc->names.ptr + sc->files[i].name;
		struct strmap_entry *e = strmap_get(&s->old_files, rel);
		struct site_file *f = e ? e->value : NULL;

		if (f && (size_t)sc->files[i].size == f->len)
			f->there = 1;
		else if (strcmp(rel, MANIFEST))
			s->old_strays++;
	}
}

/* Links rel of the old site into the new one: 0, or -1 (write it). */
static int link_old(struct site *s, const char *rel)
{
	struct buf old = BUF_INIT, fresh = BUF_INIT;
	int ret = -1;

	buf_addf(&old, "%s/%s", s->old_dir, rel);
	buf_addf(&fresh, "%s/%s", s->dir, rel);
	if (link(old.ptr, fresh.ptr) < 0 && (errno != ENOENT || content_mkdir_parents(s->dir, rel) < 0 ||
					     link(old.ptr, fresh.ptr) < 0))
		goto done;
	ret = 0;
done:
	buf_release(&old);
	buf_release(&fresh);
	return ret;
}

/* Makes the new site's folder, with links to the files found unchanged
 * so far: the manifest's lines, but for the last when it is the file being
 * written (but_last). */
static int materialize(struct site *s, int but_last)
{
	struct buf rel = BUF_INIT;
	const char *line = s->manifest.ptr + strlen(MANIFEST_HEAD), *nl, *path;
	int ret = -1;

	buf_addf(&s->dir_path, "%s/.site-new-XXXXXX", s->out_dir);
	if (!mkdtemp(s->dir_path.ptr)) {
		error_set("cannot create a directory in '%s': %s", s->out_dir, strerror(errno));
		goto done;
	}
	s->dir = s->dir_path.ptr;
	if (chmod(s->dir, 0755) < 0) {
		error_set("cannot change the mode of '%s': %s", s->dir, strerror(errno));
		goto done;
	}
	for (; (nl = strchr(line, '\n')) && (nl[1] || !but_last); line = nl + 1) {
		path = strchr(strchr(strchr(line, ' ') + 1, ' ') + 1, ' ') + 1;
		buf_reset(&rel);
		buf_add(&rel, path, (size_t)(nl - path));
		if (link_old(s, rel.ptr) < 0) {
			error_set("cannot link '%s/%s' into the new site: %s", s->old_dir, rel.ptr, strerror(errno));
			goto done;
		}
	}
	ret = 0;
done:
	buf_release(&rel);
	return ret;
}

/* ---- writing ---- */

static int write_new(struct site *s, const char *rel, const char *data, size_t len)
{
	struct buf path = BUF_INIT;
	FILE *f = NULL;
	int fd, ret = -1;

	buf_addf(&path, "%s/%s", s->dir, rel);
	fd = content_open(s->dir, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 && errno == ENOENT) {
		/* the first file of its folder: make the folders on the way */
		if (content_mkdir_parents(s->dir, rel) < 0)
			goto done;
		fd = content_open(s->dir, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	if (fd < 0)
		goto done;
	f = fdopen(fd, "wb");
	if (!f)
		close(fd);
	if (!f || fwrite(data, 1, len, f) != len) {
		error_set("cannot write '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error_set("cannot write '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	f = NULL;
	s->files_written++;
	ret = 0;
done:
	if (f)
		fclose(f);
	buf_release(&path);
	return ret;
}

/* Keeps the old site's rel, found unchanged, in the new one: 0, or -1
 * after error_set(). */
static int keep_old(struct site *s, const char *rel)
{
	s->files_kept++;
	if (!s->dir)
		return 0; /* linked in when the first file differs, if one does */
	if (link_old(s, rel) == 0)
		return 0;
	error_set("cannot link '%s/%s' into the new site: %s", s->old_dir, rel, strerror(errno));
	return -1;
}

static void manifest_add(struct site *s, const char *rel, uint64_t hash, size_t len)
{
	buf_addf(&s->manifest, "%016" PRIx64 " %zu %016" PRIx64 " %s\n", hash, len, s->inputs, rel);
}

int site_write(struct site *s, const char *rel, const char *data, size_t len)
{
	uint64_t hash = content_hash(s, data, len);
	int same = unchanged(s, rel, hash, len);

	manifest_add(s, rel, hash, len);
	if (!s->dir && same)
		return keep_old(s, rel);
	if (!s->dir && materialize(s, 1) < 0)
		return -1;
	if (same && link_old(s, rel) == 0) {
		s->files_kept++;
		return 0;
	}
	return write_new(s, rel, data, len);
}

int site_keep_files(struct site *s, const char *const *rels, size_t n, uint64_t inputs)
{
	const struct site_file *f;
	size_t i;

	if (!inputs)
		return 0;
	for (i = 0; i < n; i++) {
		f = old_file(s, rels[i]);
		if (!f || f->inputs != inputs)
			return 0;
	}
	s->inputs = inputs;
	for (i = 0; i < n; i++) {
		f = strmap_get(&s->old_files, rels[i])->value;
		manifest_add(s, rels[i], f->hash, f->len);
		if (keep_old(s, rels[i]) < 0) {
			s->inputs = 0;
			return -1;
		}
	}
	s->inputs = 0;
	return 1;
}

/* ---- the new site and the swap ---- */

void site_files_begin(struct site *s, const char *out_dir, struct site_scan *scan)
{
	struct buf old = BUF_INIT;

	s->out_dir = out_dir;
	buf_addf(&old, "%s/site", out_dir);
	s->old_dir = buf_detach(&old, NULL);
	scan = scan_finish(scan, s->old_dir);
	remove_stale(out_dir);
	manifest_load(s, s->old_dir);
	scan_take(s, scan);
	site_scan_free(scan);
	buf_adds(&s->manifest, MANIFEST_HEAD);
}

/* Puts the new site in place of the old one: an atomic exchange where the
 * system has one, else two renames (the old site is never half-replaced). */
static int swap_in(const char *fresh, const char *final, const char *out_dir)
{
	struct buf old = BUF_INIT;
	struct stat st;
	int ret = -1;

	if (lstat(final, &st) < 0 && errno == ENOENT) {
		if (rename(fresh, final) < 0) {
			error_set("cannot rename '%s' to '%s': %s", fresh, final, strerror(errno));
			goto done;
		}
		ret = 0;
		goto done;
	}
#if defined(SYS_renameat2)
	if (syscall(SYS_renameat2, AT_FDCWD, fresh, AT_FDCWD, final, 2 /* RENAME_EXCHANGE */) == 0) {
		site_remove_tree(fresh); /* now the old site */
		ret = 0;
		goto done;
	}
#endif
	buf_addf(&old, "%s/.site-old-XXXXXX", out_dir);
	if (!mkdtemp(old.ptr) || rename(final, old.ptr) < 0 || rename(fresh, final) < 0) {
		error_set("cannot replace '%s': %s", final, strerror(errno));
		goto done;
	}
	site_remove_tree(old.ptr);
	ret = 0;
done:
	buf_release(&old);
	return ret;
}

int site_files_commit(struct site *s)
{
	/* every file as it was, none gone and none added since (the manifest
	 * aside): the old site is the new one; when only what the manifest
	 * says the files were made from changed (another build of mailout),
	 * the manifest alone is replaced */
	if (!s->dir && s->files_kept == s->old_files.count && !s->old_strays) {
		if (s->manifest.len == s->old_manifest.len &&
		    !memcmp(s->manifest.ptr, s->old_manifest.ptr, s->manifest.len))
			return 0;
		return content_write_atomic(s->old_dir, MANIFEST, s->manifest.ptr, s->manifest.len);
	}
	if ((!s->dir && materialize(s, 0) < 0) ||
	    write_new(s, MANIFEST, s->manifest.ptr, s->manifest.len) < 0 ||
	    swap_in(s->dir, s->old_dir, s->out_dir) < 0)
		return -1;
	s->dir = NULL;
	return 0;
}

void site_files_release(struct site *s)
{
	if (s->dir)
		site_remove_tree(s->dir);
	s->dir = NULL;
	buf_release(&s->dir_path);
	buf_release(&s->manifest);
	buf_release(&s->old_manifest);
	free(s->old_dir);
	strmap_release(&s->old_files, free);
}
