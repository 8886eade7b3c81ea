/*
 * Content files: every file mailout reads or writes inside a repository.
 *
 * Content arrives by pull request, so a file or folder of it may be a
 * symbolic link to anything on the machine (.git/config with its token,
 * /etc/passwd, ~/.bashrc), a FIFO that blocks a reader, or a device.  The
 * functions here take the repository root (a path a person gave, followed
 * as usual) and a path relative to it, and never follow a symbolic link at
 * any component of that relative path: each folder on the way is opened
 * with O_NOFOLLOW from the one above, and the file itself must be a regular
 * file.  Anything else is refused before a byte is read or written:
 *
 *   templates/signatures/alice.md: is a symbolic link; content files must be regular files
 *   templates: is a symbolic link; content folders must be real directories
 *
 * A refusal returns CONTENT_REFUSED; error_last() holds the whole line and
 * content_diag() records it as a diagnostic at the refused path.  Other
 * failures return -1 with errno set (ENOENT when the file or a folder on the
 * way is absent) and an error_set() message naming the relative path.
 * Relative paths with empty, "." or ".." components are refused too.
 */
#ifndef MAILOUT_SAFEFILE_H
#define MAILOUT_SAFEFILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct buf;
struct diag_list;

#define CONTENT_REFUSED (-2)

/* Holds root open for this thread, so that the content calls with this
 * root start from it instead of opening it each time (a plan's loading
 * makes thousands).  Returns 1 when it holds: then call content_release();
 * 0 when it does not (another root is held, or root cannot be opened: the
 * calls then open it themselves, and say why they cannot).  Calls nest. */
int content_hold(const char *root);
void content_release(void);

/* Opens root/rel with open(2) flags (O_CREAT allowed, with mode); returns
 * the descriptor (close it), -1 or CONTENT_REFUSED.  With O_CREAT the
 * folders on the way must exist. */
int content_open(const char *root, const char *rel, int flags, mode_t mode);

/* Appends the whole of root/rel to b, refusing files larger than max bytes
 * (-1 with errno EFBIG).  A refusal is also recorded in diags (may be NULL). */
int content_read(struct buf *b, const char *root, const char *rel, size_t max,
		 struct diag_list *diags);
/* The same, with the stat of the file read in *st (set when it returns 0,
 * or -1 with errno EFBIG). */
int content_read_stat(struct buf *b, const char *root, const char *rel, size_t max,
		      struct diag_list *diags, struct stat *st);

/* Fills st for root/rel, which must be a regular file: 0, -1 (errno ENOENT
 * when absent) or CONTENT_REFUSED. */
int content_stat(const char *root, const char *rel, struct stat *st);

/* Checks that root/rel is a real directory or absent: 1 present, 0 absent,
 * CONTENT_REFUSED or -1. */
int content_dir_check(const char *root, const char *rel);

/* Replaces root/rel with data through a temporary file created with
 * O_EXCL|O_NOFOLLOW in the same folder, fsync and rename; the folder must
 * exist, and a present root/rel must be a regular file. */
int content_write_atomic(const char *root, const char *rel, const void *data, size_t len);

/*
 * The same, written piece by piece (a file too large to build in memory):
 * content_atomic_begin() creates the temporary file, content_atomic_write()
 * appends to it, content_atomic_commit() syncs it and renames it over
 * root/rel; content_atomic_abort() removes it and leaves root/rel as it
 * was.  Commit and abort release f (abort may follow either, and a failed
 * begin or write); a failed begin has released it already.
 */
struct content_file {
	int dfd, fd;
	char *rel, *tmp; /* owned */
	const char *last; /* the file name in rel */
};
#define CONTENT_FILE_INIT { -1, -1, NULL, NULL, NULL }
int content_atomic_begin(struct content_file *out, const char *root, const char *rel);
int content_atomic_write(struct content_file *f, const void *data, size_t len);
int content_atomic_commit(struct content_file *f);
void content_atomic_abort(struct content_file *f);

/* Opens root/rel for appending (O_RDWR|O_APPEND, created when create). */
int content_append_open(const char *root, const char *rel, int create);

/* Creates the folder rel and its missing parents below root (mkdir -p). */
int content_mkdirs(const char *root, const char *rel);
/* Creates the folders above the file rel. */
int content_mkdir_parents(const char *root, const char *rel);

/* Removes the file (or, with dir, the empty folder) root/rel without
 * following a link on the way; 0 also when it is absent. */
int content_remove(const char *root, const char *rel, int dir);

/* Names of the entries of the folder root/rel ending in suffix (NULL: all
 * but dot files), sorted; entries are never followed.  dirs_only leaves
 * out regular files; other kinds (links, FIFOs, folders where files are
 * wanted) are listed, so that opening them reports them.
 * Returns the count (0 when the folder is absent), -1 or CONTENT_REFUSED. */
int content_list(char ***out, const char *root, const char *rel, const char *suffix, int dirs_only);

/* Records the last refusal as an error diagnostic at the refused path. */
void content_diag(struct diag_list *diags);
/* Forgets this thread's last refusal (a thread about to end). */
void content_refusal_clear(void);

#endif
