/*
 * libgit2: blob ids of files, the commit a plan was built from, and the
 * git side of a run: commit exactly mailout's own files, fetch, push (a
 * compare-and-swap on the branch), reset, and what changed since a commit.
 *
 * Paths.  The content repository (the "root" mailout works on) may be the
 * git working tree itself or a directory below it.  Every path given to or
 * returned by the functions below is relative to the git working tree
 * (gitrepo_workdir()), with '/' separators; gitrepo_path() turns a
 * root-relative path into one, gitrepo_root_path() goes back.
 *
 * Errors: functions return -1 after error_set() with libgit2's message;
 * nothing is printed.  A token from the environment never appears in a
 * message, nor does the password part of a remote's URL.
 */
#ifndef MAILOUT_GITREPO_H
#define MAILOUT_GITREPO_H

#include <stddef.h>

#include "buf.h"

/* git's blob id of data, as 40 hex digits. */
void gitrepo_blob_id(char out[41], const void *data, size_t len);

/* The commit checked out at root (40 hex digits, or "" when root is not in
 * a git repository or has no commit yet) and whether the working tree has
 * changes (ignored files aside).  Returns 0 or -1 (error_set). */
int gitrepo_head(const char *root, char commit_out[41], int *dirty_out);

struct gitrepo;

#define GITREPO_DEFAULT_AUTHOR "mailout <mailout@localhost>"

/* Creates a git repository in dir (made when absent) whose unborn branch
 * is branch; refuses a dir that is one already. */
int gitrepo_init(const char *dir, const char *branch);

/* Opens the git repository whose working tree contains root.  -1 when
 * root is in no git repository or in a bare one.  Free with gitrepo_free. */
int gitrepo_open(struct gitrepo **out, const char *root);
void gitrepo_free(struct gitrepo *g);

/* libgit2's repository, for the modules that read history (githistory);
 * owned by g. */
struct git_repository *gitrepo_repository(struct gitrepo *g);

/* The working tree's absolute path, ending in '/'; owned by g. */
const char *gitrepo_workdir(struct gitrepo *g);
/* Where root lies in the working tree: "" or "dir/sub/"; owned by g. */
const char *gitrepo_prefix(struct gitrepo *g);
/* The working-tree path of root-relative rel (malloc'd). */
char *gitrepo_path(struct gitrepo *g, const char *rel);
/* The root-relative part of working-tree path path (a pointer into it),
 * or NULL when path lies outside root. */
const char *gitrepo_root_path(struct gitrepo *g, const char *path);

/* 1 when the clone is shallow (libgit2 1.5 cannot fetch into it). */
int gitrepo_is_shallow(struct gitrepo *g);

/* The commit HEAD points at, 40 hex digits; "" when the branch is unborn. */
int gitrepo_head_oid(struct gitrepo *g, char out[41]);

/* The checked-out branch ("main"), also when it has no commit yet; NULL
 * when HEAD is detached.  Owned by g, valid until the next call. */
const char *gitrepo_branch(struct gitrepo *g);

/* Appends the content of path at commit rev ("HEAD", an id, "origin/main")
 * to out.  0 when read, 1 when the file does not exist there, -1 on error
 * (unknown revision among them). */
int gitrepo_read_at(struct gitrepo *g, const char *rev, const char *path, struct buf *out);

/* For each of the n paths, whether it differs from HEAD in the index or in
 * the working tree: modified, added, untracked or deleted (1) or not (0).
 * An ignored file counts as unchanged. */
int gitrepo_changed_paths(struct gitrepo *g, const char *const *paths, size_t n,
			  int *changed_out);

/* Stages exactly these paths as they are in the working tree (added,
 * modified or deleted) and commits them on the current branch, with the
 * tree of HEAD plus these paths: whatever else is staged or modified stays
 * as it is and is not committed.  author is "Name <email>" (NULL or "":
 * GITREPO_DEFAULT_AUTHOR), used as author and committer; message gets a
 * final newline when it has none.  *committed_out is 0 when the paths
 * already match HEAD (no empty commit is made), 1 otherwise.  Refuses a
 * detached HEAD.  The commit fails when the branch moved since it was read
 * (another process committed). */
int gitrepo_commit(struct gitrepo *g, const char *const *paths, size_t n, const char *author,
		   const char *message, int *committed_out);

/*
 * Remotes: a configured remote's name ("origin"), a URL, or a local path
 * (of a bare repository, for tests and for single-machine setups).
 *
 * Credentials: https with a token from MAILOUT_GIT_TOKEN, else GITHUB_TOKEN
 * (user name "x-access-token" unless the URL names one); ssh through the
 * ssh agent; local paths need none.  Proxies from git's configuration and
 * the usual environment variables.
 *
 * A push to a local path is a true compare-and-swap: the branch on the
 * remote is updated only if it still points where it pointed when the push
 * began.  (libgit2's own local transport overwrites it, which would let two
 * concurrent senders lose each other's commits.)
 */

/* Fetches the current branch of remote into refs/remotes/NAME/BRANCH (a
 * named remote) or refs/mailout/remotes/HASH/BRANCH (a URL or path; HASH is
 * 12 hex digits of the URL's blob id).  out_tip is the branch's commit on
 * the remote, "" when the remote has no such branch.  Refuses a shallow
 * clone and a detached HEAD. */
int gitrepo_fetch(struct gitrepo *g, const char *remote, char out_tip[41]);

/* Pushes the current branch to the branch of the same name on remote,
 * never forcing.  0 pushed (or already there; the remote-tracking ref is
 * updated), GITREPO_REJECTED when the remote branch moved (not a
 * fast-forward, or changed while pushing: fetch, replay, try again) or was
 * locked (a local remote's refs/heads/BRANCH.lock, which error_last()
 * names with its path; over the network, the remote's own "cannot lock
 * ref"), -1 on any other error (a hook or branch protection declining the
 * push among them).  error_last() explains a rejection too.  Refuses a
 * shallow clone (libgit2 1.5 cannot walk its history) and a detached HEAD. */
#define GITREPO_REJECTED 1
int gitrepo_push(struct gitrepo *g, const char *remote);

/* Moves the current branch to commit oid (40 hex digits; the commit must
 * be in the repository, e.g. fetched).  paths NULL: index and working tree
 * are reset too, like `git reset --hard` (untracked files stay).  With
 * paths: the index is reset to oid, the n given paths are made exactly as
 * in oid in the working tree (written, or deleted when oid lacks them), and
 * other files that oid changes are updated when they have no uncommitted
 * changes and left as they are otherwise (their changes then show as
 * unstaged). */
int gitrepo_reset_hard(struct gitrepo *g, const char *oid, const char *const *paths, size_t n);

/* For a push the remote refused: when the commits from base to tip (both
 * 40 hex digits, tip fetched; base "" for none) touch none of the n paths,
 * HEAD's versions of the paths are committed on tip (one commit with
 * HEAD's message and author as the committer), the branch moves there and
 * the working tree follows for the other files tip changed; the paths
 * themselves are not written.  *moved_out is 1 then, 0 (nothing done) when
 * the commits touch one of the paths. */
int gitrepo_rebase_disjoint(struct gitrepo *g, const char *base, const char *tip,
			    const char *const *paths, size_t n, const char *author,
			    int *moved_out);

/* Files that differ between rev and the working tree: committed since,
 * staged, unstaged, untracked (not ignored) and deleted ones.  When rev
 * and HEAD have a merge base, the comparison starts there, so changes made
 * on rev's side since the branch point do not count (like `git diff
 * rev...`).  *paths_out is sorted, without duplicates (renames count as a
 * deletion and an addition); free with free_list() from util.h. */
int gitrepo_changed_since(struct gitrepo *g, const char *rev, char ***paths_out, size_t *n_out);

#endif
