#if defined(__linux__)
#define _GNU_SOURCE /* O_PATH */
#endif
#include "safefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif

#include "buf.h"
#include "diag.h"
#include "util.h"
#include "xalloc.h"

/* The last refusal of this thread: where and why (content files are read
 * on the parsing threads too). */
static _Thread_local char *refused_path;
static _Thread_local char refused_why[96];

static const char *kind_name(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISREG(mode))
		return "a regular file";
	return "not a regular file";
}

static int refuse(const char *rel, size_t len, mode_t mode, int folder)
{
	free(refused_path);
	refused_path = xstrndup(rel, len);
	snprintf(refused_why, sizeof(refused_why), "is %s; content %s", kind_name(mode),
		 folder ? "folders must be real directories" : "files must be regular files");
	error_set("%s: %s", refused_path, refused_why);
	errno = EPERM;
	return CONTENT_REFUSED;
}

void content_refusal_clear(void)
{
	free(refused_path);
	refused_path = NULL;
}

void content_diag(struct diag_list *diags)
{
	if (diags && refused_path)
		diag_add(diags, DIAG_ERROR, refused_path, 0, 0, "%s", refused_why);
}

static int fail(const char *what, const char *rel, size_t len)
{
	int e = errno;

	error_set("cannot %s '%.*s': %s", what, (int)len, rel, strerror(e));
	errno = e;
	return -1;
}

/* The root held by content_hold() on this thread (the plan's loading runs
 * thousands of walks from one root; the parsing threads hold none). */
static _Thread_local struct {
	char *root;
	int fd, depth;
} held = { NULL, -1, 0 };

int content_hold(const char *root)
{
	if (held.depth) {
		if (strcmp(held.root, root))
			return 0;
		held.depth++;
		return 1;
	}
	held.fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (held.fd < 0)
		return 0; /* the walks open it, and say why they cannot */
	held.root = xstrdup(root);
	held.depth = 1;
	return 1;
}

void content_release(void)
{
	if (!held.depth || --held.depth)
		return;
	close(held.fd);
	free(held.root);
	held.root = NULL;
	held.fd = -1;
}

/* The descriptor of root that walk() starts from: the held one, or one of
 * its own (also when the walk ends at root: the caller closes that). */
static int held_root(const char *root, size_t len)
{
	if (held.depth && !strcmp(held.root, root))
		return len ? held.fd : fcntl(held.fd, F_DUPFD_CLOEXEC, 0);
	return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void close_dir(int fd)
{
	if (!held.depth || fd != held.fd)
		close(fd);
}

/*
 * The first len bytes of rel below dfd opened with flags (O_DIRECTORY for
 * a folder, O_RDONLY for a file to read, O_PATH for one to stat), in one
 * call that follows no link and leaves no folder (Linux 5.6 and later):
 * its descriptor, -1 with errno ENOENT when something on the way is
 * missing, or -2 when the component walk must decide (a component that is
 * not a folder, a link, an odd name, a kernel without openat2), since it
 * says which.
 */
static int open_beneath(int dfd, const char *rel, size_t len, int flags)
{
#ifdef HAVE_OPENAT2
	struct open_how how;
	char *path;
	size_t at;
	int fd, e;

	for (at = 0; at < len; at += strcspn(rel + at, "/") + 1) {
		size_t n = strcspn(rel + at, "/");

		if (at + n > len)
			n = len - at;
		if (!n || (n == 1 && rel[at] == '.') || (n == 2 && !strncmp(rel + at, "..", 2)))
			return -2;
	}
	memset(&how, 0, sizeof(how));
	/* openat2 refuses O_NONBLOCK with O_PATH, which opens nothing */
	how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
#ifdef O_PATH
	if (!(flags & O_PATH))
#endif
		how.flags |= O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	path = xstrndup(rel, len);
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	e = errno;
	free(path);
	if (fd >= 0)
		return fd;
	errno = e;
	return e == ENOENT ? -1 : -2;
#else
	(void)dfd;
	(void)rel;
	(void)len;
	(void)flags;
	return -2;
#endif
}

/*
 * Opens the folder made of the first len bytes of rel, one component at a
 * time from root, never following a link; create makes missing folders.
 * Returns the folder's descriptor, -1 or CONTENT_REFUSED.
 */
static int walk(const char *root, const char *rel, size_t len, int create)
{
	struct stat st;
	size_t at = 0, n;
	char *name = NULL;
	int dfd, fd;

	dfd = held_root(root, len);
	if (dfd < 0) {
		int e = errno;
		error_set("cannot open '%s': %s", root, strerror(e));
		errno = e;
		return -1;
	}
	if (!create && len && (fd = open_beneath(dfd, rel, len, O_RDONLY | O_DIRECTORY)) != -2) {
		if (fd < 0)
			fd = fail("open", rel, len);
		close_dir(dfd);
		return fd;
	}
	while (at < len) {
		n = strcspn(rel + at, "/");
		if (at + n > len)
			n = len - at;
		free(name);
		name = xstrndup(rel + at, n);
		if (!n || !strcmp(name, ".") || !strcmp(name, "..")) {
			error_set("'%.*s' is not a path inside the repository", (int)len, rel);
			errno = EINVAL;
			fd = -1;
			goto fail;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			if (mkdirat(dfd, name, 0777) < 0 && errno != EEXIST) {
				fd = fail("create", rel, at + n);
				goto fail;
			}
			fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		}
		if (fd < 0) {
			int e = errno;

			if ((e == ELOOP || e == ENOTDIR) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
				fd = refuse(rel, at + n, st.st_mode, 1);
				goto fail;
			}
			errno = e;
			fd = fail("open", rel, at + n);
			goto fail;
		}
		close_dir(dfd);
		dfd = fd;
		at += n + 1;
	}
	free(name);
	return dfd;
fail:
	free(name);
	close_dir(dfd);
	return fd;
}

/* The folder above rel, and where its last component starts. */
static int walk_parent(const char *root, const char *rel, const char **last)
{
	const char *slash = strrchr(rel, '/');

	*last = slash ? slash + 1 : rel;
	if (!**last || !strcmp(*last, ".") || !strcmp(*last, "..")) {
		error_set("'%s' is not a path inside the repository", rel);
		errno = EINVAL;
		return -1;
	}
	return walk(root, rel, slash ? (size_t)(slash - rel) : 0, 0);
}

/* A file to read below the held root in one call (a plan's loading reads
 * 10,000 campaign files): its descriptor, or -2 when the walk must open
 * it (and say why it cannot).  Opening does not read: a FIFO or a folder
 * found so is refused after, as the walk refuses it before. */
static int open_held_file(const char *root, const char *rel, struct stat *out)
{
	int fd;

	if (!held.depth || strcmp(held.root, root) ||
	    (fd = open_beneath(held.fd, rel, strlen(rel), O_RDONLY)) < 0)
		return -2;
	if (fstat(fd, out) < 0) {
		close(fd);
		return -2;
	}
	if (!S_ISREG(out->st_mode)) {
		close(fd);
		return refuse(rel, strlen(rel), out->st_mode, 0);
	}
	return fd;
}

/* content_open(), and the stat of what it opened in *st. */
static int open_regular(const char *root, const char *rel, int flags, mode_t mode, struct stat *out)
{
	const char *last;
	struct stat st;
	int dfd, fd = -1;

	if ((flags & (O_ACCMODE | O_CREAT | O_TRUNC)) == O_RDONLY &&
	    (fd = open_held_file(root, rel, out)) != -2)
		return fd;
	dfd = walk_parent(root, rel, &last);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fd = refuse(rel, strlen(rel), st.st_mode, 0);
			goto done;
		}
	} else if (errno != ENOENT || !(flags & O_CREAT)) {
		fd = fail("open", rel, strlen(rel));
		goto done;
	}
	fd = openat(dfd, last, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == ELOOP)
			fd = refuse(rel, strlen(rel), S_IFLNK, 0);
		else
			fd = fail("open", rel, strlen(rel));
		goto done;
	}
	/* what was opened, not what was looked at before */
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		fd = fail("open", rel, strlen(rel));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		fd = refuse(rel, strlen(rel), st.st_mode, 0);
		goto done;
	}
	/* O_NONBLOCK (against a FIFO put there) stays: on a regular file
	 * it changes nothing */
	*out = st;
done:
	close(dfd);
	return fd;
}

int content_open(const char *root, const char *rel, int flags, mode_t mode)
{
	struct stat st;

	return open_regular(root, rel, flags, mode, &st);
}

int content_read(struct buf *b, const char *root, const char *rel, size_t max,
		 struct diag_list *diags)
{
	struct stat st;

	return content_read_stat(b, root, rel, max, diags, &st);
}

int content_read_stat(struct buf *b, const char *root, const char *rel, size_t max,
		      struct diag_list *diags, struct stat *st)
{
	int fd, ret, e;

	fd = open_regular(root, rel, O_RDONLY, 0, st);
	if (fd < 0) {
		if (fd == CONTENT_REFUSED)
			content_diag(diags);
		return fd;
	}
	ret = buf_read_fd_sized(b, fd, max, (size_t)st->st_size);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}

/* content_stat() of rel once the stat of what it names was tried
 * (failed: -1 with errno set); closes fd. */
static int stat_result(const char *rel, int fd, int failed, const struct stat *st)
{
	int ret;

	if (failed)
		ret = fail("stat", rel, strlen(rel));
	else if (!S_ISREG(st->st_mode))
		ret = refuse(rel, strlen(rel), st->st_mode, 0);
	else
		ret = 0;
	close(fd);
	return ret;
}

int content_stat(const char *root, const char *rel, struct stat *st)
{
	const char *last;
	int dfd;

#ifdef HAVE_OPENAT2
	/* below the held root, in one call: a plan's loading looks for the
	 * commands of 10,000 campaigns, most of them absent (a link found so
	 * is opened itself, and refused) */
	if (held.depth && !strcmp(held.root, root) &&
	    (dfd = open_beneath(held.fd, rel, strlen(rel), O_PATH)) != -2) {
		if (dfd < 0)
			return fail("stat", rel, strlen(rel));
		return stat_result(rel, dfd, fstat(dfd, st) < 0, st);
	}
#endif
	dfd = walk_parent(root, rel, &last);
	if (dfd < 0)
		return dfd;
	return stat_result(rel, dfd, fstatat(dfd, last, st, AT_SYMLINK_NOFOLLOW) < 0, st);
}

int content_dir_check(const char *root, const char *rel)
{
	int fd = walk(root, rel, strlen(rel), 0);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -1 && (errno == ENOENT || errno == ENOTDIR) ? 0 : fd;
}

int content_atomic_begin(struct content_file *out, const char *root, const char *rel)
{
	struct stat st;
	const char *last;
	int tries, ret = -1;

	out->fd = -1;
	out->rel = xstrdup(rel);
	out->tmp = NULL;
	out->dfd = walk_parent(root, rel, &last);
	if (out->dfd < 0) {
		ret = out->dfd;
		goto done;
	}
	out->last = out->rel + (last - rel);
	if (fstatat(out->dfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		ret = refuse(rel, strlen(rel), st.st_mode, 0);
		goto done;
	}
	out->tmp = xasprintf("%s.tmp.%ld", last, (long)getpid());
	for (tries = 0; tries < 2 && out->fd < 0; tries++) {
		out->fd = openat(out->dfd, out->tmp,
				 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		/* a leftover of a process that had this pid (or a planted name) */
		if (out->fd < 0 && errno == EEXIST && !tries)
			unlinkat(out->dfd, out->tmp, 0);
	}
	if (out->fd < 0) {
		ret = fail("create a file next to", rel, strlen(rel));
		free(out->tmp);
		out->tmp = NULL;
		goto done;
	}
	ret = 0;
done:
	if (ret < 0)
		content_atomic_abort(out);
	return ret;
}

int content_atomic_write(struct content_file *f, const void *data, size_t len)
{
	if (fd_write_all(f->fd, data, len) < 0)
		return fail("write", f->rel, strlen(f->rel));
	return 0;
}

int content_atomic_commit(struct content_file *f)
{
	int ret = -1;

	if (fsync(f->fd) < 0) {
		ret = fail("write", f->rel, strlen(f->rel));
		goto done;
	}
	if (close(f->fd) < 0) {
		f->fd = -1;
		ret = fail("write", f->rel, strlen(f->rel));
		goto done;
	}
	f->fd = -1;
	if (renameat(f->dfd, f->tmp, f->dfd, f->last) < 0) {
		ret = fail("replace", f->rel, strlen(f->rel));
		goto done;
	}
	free(f->tmp);
	f->tmp = NULL;
	ret = 0;
done:
	content_atomic_abort(f);
	return ret;
}

void content_atomic_abort(struct content_file *f)
{
	int e = errno;

	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlinkat(f->dfd, f->tmp, 0);
	if (f->dfd >= 0)
		close(f->dfd);
	free(f->tmp);
	free(f->rel);
	f->fd = f->dfd = -1;
	f->tmp = f->rel = NULL;
	errno = e;
}

int content_write_atomic(const char *root, const char *rel, const void *data, size_t len)
{
	struct content_file f;
	int r;

	r = content_atomic_begin(&f, root, rel);
	if (r < 0)
		return r;
	if (content_atomic_write(&f, data, len) < 0) {
		content_atomic_abort(&f);
		return -1;
	}
	return content_atomic_commit(&f);
}

int content_append_open(const char *root, const char *rel, int create)
{
	return content_open(root, rel, O_RDWR | O_APPEND | (create ? O_CREAT : 0), 0644);
}

int content_mkdirs(const char *root, const char *rel)
{
	int fd = walk(root, rel, strlen(rel), 1);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int content_mkdir_parents(const char *root, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	int fd;

	if (!slash)
		return 0;
	fd = walk(root, rel, (size_t)(slash - rel), 1);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int content_remove(const char *root, const char *rel, int dir)
{
	const char *last;
	int dfd, ret = 0;

	dfd = walk_parent(root, rel, &last);
	if (dfd < 0)
		return dfd == -1 && errno == ENOENT ? 0 : dfd;
	if (unlinkat(dfd, last, dir ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
		ret = fail("remove", rel, strlen(rel));
	close(dfd);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int content_list(char ***out, const char *root, const char *rel, const char *suffix, int dirs_only)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char **list = NULL;
	size_t n = 0, cap = 0;
	int fd;

	*out = NULL;
	fd = walk(root, rel, strlen(rel), 0);
	if (fd < 0)
		return fd == -1 && (errno == ENOENT || errno == ENOTDIR) ? 0 : fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail("read the folder", rel, strlen(rel));
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (suffix && !(strlen(e->d_name) >= strlen(suffix) &&
				!strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix)))
			continue;
		/* the kind from the folder where it tells it (10,000 campaign
		 * folders, one call less each) */
		if (e->d_type == DT_UNKNOWN) {
			if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (dirs_only && S_ISREG(st.st_mode))
				continue;
		} else if (dirs_only && e->d_type == DT_REG) {
			continue;
		}
		XGROW(list, cap, n + 1);
		list[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(list, n, sizeof(*list), cmp_str);
	*out = list;
	return (int)n;
}
