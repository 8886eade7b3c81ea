#include "gitrepo.h"

#include <errno.h>
#include <pthread.h>
#include <git2.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

#define SHALLOW_MESSAGE(what) \
	"this clone is shallow and libgit2 1.5 cannot " what ": " \
	"check out with full history (fetch-depth: 0)"

struct gitrepo {
	git_repository *repo;
	char *workdir; /* absolute, ends in '/' */
	char *prefix; /* root relative to workdir: "" or "dir/" */
	char *branch; /* the last answer of gitrepo_branch */
};

/* A remote as given: its display name (never with a password) and where
 * fetched branches go. */
struct remote_ref {
	git_remote *remote;
	char *display;
	char *tracking; /* refs/remotes/NAME/BRANCH or refs/mailout/remotes/HASH/BRANCH */
};

/* The payload of libgit2's remote callbacks. */
struct remote_session {
	unsigned tried; /* credential types already offered */
	char *status; /* the remote's reason for refusing the pushed ref, or NULL */
	struct buf said; /* what the remote printed while it received a push */
};

static void libgit2_init(void)
{
	git_libgit2_init();
}

/* libgit2 is initialised once per process, whichever thread comes first. */
static void init_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, libgit2_init);
}

/* Copies s to out with the user part of URLs ("://user:secret@") and the
 * tokens of the environment blanked out. */
static void add_scrubbed(struct buf *out, const char *s)
{
	const char *tokens[2];
	size_t start = out->len, k;

	tokens[0] = getenv("MAILOUT_GIT_TOKEN");
	tokens[1] = getenv("GITHUB_TOKEN");
	while (*s) {
		const char *scheme = strstr(s, "://");
		const char *at, *end;

		if (!scheme) {
			buf_adds(out, s);
			break;
		}
		buf_add(out, s, (size_t)(scheme - s) + 3);
		s = scheme + 3;
		end = s + strcspn(s, "/ \t\n'\"");
		at = memchr(s, '@', (size_t)(end - s));
		if (at) {
			buf_adds(out, "***");
			s = at;
		}
	}
	for (k = 0; k < 2; k++) {
		size_t tlen = tokens[k] ? strlen(tokens[k]) : 0;
		struct buf clean = BUF_INIT;
		char *found, *p;

		if (tlen < 4)
			continue;
		p = out->ptr + start;
		while ((found = strstr(p, tokens[k]))) {
			buf_add(&clean, p, (size_t)(found - p));
			buf_adds(&clean, "***");
			p = found + tlen;
		}
		if (!clean.len)
			continue;
		buf_adds(&clean, p);
		buf_truncate(out, start);
		buf_add(out, clean.ptr, clean.len);
		buf_release(&clean);
	}
}

/* error_set with "what: libgit2's message". */
static int git_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int git_fail(const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct buf what = BUF_INIT, msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&what, fmt, ap);
	va_end(ap);
	add_scrubbed(&msg, what.ptr);
	buf_adds(&msg, ": ");
	add_scrubbed(&msg, e && e->message ? e->message : "unknown error");
	error_set("%s", msg.ptr);
	buf_release(&what);
	buf_release(&msg);
	return -1;
}

/* Plain SHA-1 of "blob LEN\0" and the content, what git hashes: OpenSSL's
 * is about four times as fast as libgit2's collision-detecting SHA-1 on
 * the recipient files a build hashes.  The ids are only compared with the
 * ids the plan recorded of the same files, never used to read an object. */
void gitrepo_blob_id(char out[41], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char head[32];
	int n = snprintf(head, sizeof(head), "blob %zu", len) + 1; /* with its NUL */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, (size_t)n) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20) {
		/* OpenSSL fails here only without memory, as xmalloc would */
		fprintf(stderr, "mailout: SHA-1 failed\n");
		abort();
	}
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 20; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[40] = '\0';
}

int gitrepo_head(const char *root, char commit_out[41], int *dirty_out)
{
	git_repository *repo = NULL;
	git_status_list *status = NULL;
	git_status_options opts;
	git_oid oid;
	int ret = -1;

	init_once();
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	commit_out[0] = '\0';
	*dirty_out = 0;
	if (git_repository_open_ext(&repo, root, 0, NULL) < 0) {
		ret = 0; /* not a repository: no stamp */
		goto done;
	}
	if (git_reference_name_to_id(&oid, repo, "HEAD") == 0)
		git_oid_tostr(commit_out, 41, &oid);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&status, repo, &opts) < 0) {
		const git_error *e = git_error_last();
		error_set("cannot read the git status: %s", e ? e->message : "unknown error");
		goto done;
	}
	*dirty_out = git_status_list_entrycount(status) > 0;
	ret = 0;
done:
	git_status_list_free(status);
	git_repository_free(repo);
	return ret;
}

int gitrepo_init(const char *dir, const char *branch)
{
	git_repository_init_options o;
	git_repository *repo = NULL;
	int ret = 0;

	init_once();
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_NO_REINIT | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = branch;
	if (git_repository_init_ext(&repo, dir, &o) < 0)
		ret = git_fail("cannot create a git repository in '%s'", dir);
	git_repository_free(repo);
	return ret;
}

struct git_repository *gitrepo_repository(struct gitrepo *g)
{
	return g->repo;
}

int gitrepo_open(struct gitrepo **out, const char *root)
{
	struct gitrepo *g = NULL;
	char *real_root = NULL, *real_wd = NULL;
	const char *wd;
	size_t n;
	int r, ret = -1;

	init_once();
	*out = NULL;
	g = xcalloc(1, sizeof(*g));
	r = git_repository_open_ext(&g->repo, root, 0, NULL);
	if (r == GIT_ENOTFOUND) {
		error_set("'%s' is not in a git repository", root);
		goto done;
	}
	if (r < 0) {
		git_fail("cannot open the git repository of '%s'", root);
		goto done;
	}
	wd = git_repository_workdir(g->repo);
	if (!wd) {
		error_set("the git repository of '%s' is bare: it has no working tree", root);
		goto done;
	}
	real_root = realpath(root, NULL);
	real_wd = realpath(wd, NULL);
	if (!real_root || !real_wd) {
		error_set("cannot resolve '%s': %s", real_root ? wd : root, strerror(errno));
		goto done;
	}
	g->workdir = xasprintf("%s%s", real_wd, strcmp(real_wd, "/") ? "/" : "");
	n = strlen(g->workdir);
	if (!strcmp(real_root, real_wd)) {
		g->prefix = xstrdup("");
	} else if (!strncmp(real_root, g->workdir, n)) {
		g->prefix = xasprintf("%s/", real_root + n);
	} else {
		error_set("'%s' is not inside the working tree '%s'", root, g->workdir);
		goto done;
	}
	*out = g;
	g = NULL;
	ret = 0;
done:
	free(real_root);
	free(real_wd);
	gitrepo_free(g);
	return ret;
}

void gitrepo_free(struct gitrepo *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->workdir);
	free(g->prefix);
	free(g->branch);
	free(g);
}

const char *gitrepo_workdir(struct gitrepo *g)
{
	return g->workdir;
}

const char *gitrepo_prefix(struct gitrepo *g)
{
	return g->prefix;
}

char *gitrepo_path(struct gitrepo *g, const char *rel)
{
	return xasprintf("%s%s", g->prefix, rel);
}

const char *gitrepo_root_path(struct gitrepo *g, const char *path)
{
	size_t n = strlen(g->prefix);

	return strncmp(path, g->prefix, n) ? NULL : path + n;
}

int gitrepo_is_shallow(struct gitrepo *g)
{
	return git_repository_is_shallow(g->repo) == 1;
}

int gitrepo_head_oid(struct gitrepo *g, char out[41])
{
	git_oid oid;
	int r;

	out[0] = '\0';
	r = git_reference_name_to_id(&oid, g->repo, "HEAD");
	if (r == GIT_ENOTFOUND) {
		git_error_clear(); /* unborn branch */
		return 0;
	}
	if (r < 0)
		return git_fail("cannot read HEAD");
	git_oid_tostr(out, 41, &oid);
	return 0;
}

const char *gitrepo_branch(struct gitrepo *g)
{
	git_reference *head = NULL;
	const char *target;

	free(g->branch);
	g->branch = NULL;
	if (git_reference_lookup(&head, g->repo, "HEAD") < 0) {
		git_error_clear();
		return NULL;
	}
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
		target = git_reference_symbolic_target(head);
		if (!strncmp(target, "refs/heads/", 11) && target[11])
			g->branch = xstrdup(target + 11);
	}
	git_reference_free(head);
	return g->branch;
}

/* The current branch, or NULL after error_set naming what needs it. */
static const char *require_branch(struct gitrepo *g, const char *what)
{
	const char *branch = gitrepo_branch(g);

	if (!branch)
		error_set("HEAD is detached: check out a branch to %s", what);
	return branch;
}

/* HEAD's commit (NULL when unborn). */
static int head_commit(struct gitrepo *g, git_commit **out)
{
	git_oid oid;
	int r;

	*out = NULL;
	r = git_reference_name_to_id(&oid, g->repo, "HEAD");
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (r < 0 || git_commit_lookup(out, g->repo, &oid) < 0)
		return git_fail("cannot read HEAD");
	return 0;
}

static int resolve_commit(struct gitrepo *g, const char *rev, git_commit **out)
{
	git_object *obj = NULL;
	int ret = -1;

	*out = NULL;
	if (git_revparse_single(&obj, g->repo, rev) < 0) {
		git_fail("unknown revision '%s'", rev);
		goto done;
	}
	if (git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT) < 0) {
		git_fail("'%s' is not a commit", rev);
		goto done;
	}
	ret = 0;
done:
	git_object_free(obj);
	return ret;
}

int gitrepo_read_at(struct gitrepo *g, const char *rev, const char *path, struct buf *out)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int r, ret = -1;

	if (resolve_commit(g, rev, &commit) < 0)
		goto done;
	if (git_commit_tree(&tree, commit) < 0) {
		git_fail("cannot read the tree of '%s'", rev);
		goto done;
	}
	r = git_tree_entry_bypath(&entry, tree, path);
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		ret = 1;
		goto done;
	}
	if (r < 0) {
		git_fail("cannot look up '%s' in '%s'", path, rev);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		error_set("'%s' is not a file in '%s'", path, rev);
		goto done;
	}
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry)) < 0) {
		git_fail("cannot read '%s' in '%s'", path, rev);
		goto done;
	}
	buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	ret = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return ret;
}

int gitrepo_changed_paths(struct gitrepo *g, const char *const *paths, size_t n,
			  int *changed_out)
{
	git_status_options opts;
	git_status_list *status = NULL;
	size_t i, k, count;
	int ret = -1;

	for (k = 0; k < n; k++)
		changed_out[k] = 0;
	if (!n) {
		ret = 0;
		goto done;
	}
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		     GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	opts.pathspec.strings = (char **)paths;
	opts.pathspec.count = n;
	if (git_status_list_new(&status, g->repo, &opts) < 0) {
		git_fail("cannot read the git status");
		goto done;
	}
	count = git_status_list_entrycount(status);
	for (i = 0; i < count; i++) {
		const git_status_entry *e = git_status_byindex(status, i);
		const git_diff_delta *d[2];
		size_t j;

		if (e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
			continue;
		d[0] = e->head_to_index;
		d[1] = e->index_to_workdir;
		for (j = 0; j < 2; j++) {
			if (!d[j])
				continue;
			for (k = 0; k < n; k++) {
				if ((d[j]->old_file.path && !strcmp(d[j]->old_file.path, paths[k])) ||
				    (d[j]->new_file.path && !strcmp(d[j]->new_file.path, paths[k])))
					changed_out[k] = 1;
			}
		}
	}
	ret = 0;
done:
	git_status_list_free(status);
	return ret;
}

/* Parses "Name <email>" into a signature dated now. */
static int make_signature(git_signature **out, const char *author)
{
	const char *a = author && *author ? author : GITREPO_DEFAULT_AUTHOR;
	const char *lt = strrchr(a, '<'), *gt = strrchr(a, '>');
	char *name = NULL, *email = NULL;
	size_t len;
	int ret = -1;

	*out = NULL;
	if (lt && gt && gt > lt && gt[1] == '\0') {
		len = (size_t)(lt - a);
		while (len && a[len - 1] == ' ')
			len--;
		name = xstrndup(a, len);
		email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	}
	if (!name || !*name || !*email || strchr(email, '<') || strchr(name, '>')) {
		error_set("invalid git author '%s': expected 'Name <email>'", a);
		goto done;
	}
	if (git_signature_now(out, name, email) < 0) {
		git_fail("invalid git author '%s'", a);
		goto done;
	}
	ret = 0;
done:
	free(name);
	free(email);
	return ret;
}

static int path_exists(struct gitrepo *g, const char *path)
{
	struct stat st;
	char *full = xasprintf("%s%s", g->workdir, path);
	int r = lstat(full, &st);

	free(full);
	return r == 0;
}

int gitrepo_commit(struct gitrepo *g, const char *const *paths, size_t n, const char *author,
		   const char *message, int *committed_out)
{
	git_index *index = NULL, *staged = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_oid tree_id, commit_id;
	const git_commit *parents[1];
	struct buf msg = BUF_INIT;
	size_t i;
	int r, ret = -1;

	*committed_out = 0;
	if (!require_branch(g, "commit"))
		goto done;
	if (make_signature(&sig, author) < 0 || head_commit(g, &parent) < 0)
		goto done;
	if (parent && git_commit_tree(&base, parent) < 0) {
		git_fail("cannot read the tree of HEAD");
		goto done;
	}
	if (git_repository_index(&index, g->repo) < 0 || git_index_read(index, 0) < 0) {
		git_fail("cannot read the git index");
		goto done;
	}
	/* The new tree: HEAD's, with these paths as in the working tree. */
	if (git_index_new(&staged) < 0 || (base && git_index_read_tree(staged, base) < 0)) {
		git_fail("cannot read the tree of HEAD");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (path_exists(g, paths[i])) {
			const git_index_entry *e;

			if (git_index_add_bypath(index, paths[i]) < 0) {
				git_fail("cannot stage '%s'", paths[i]);
				goto done;
			}
			e = git_index_get_bypath(index, paths[i], 0);
			if (!e || git_index_add(staged, e) < 0) {
				git_fail("cannot stage '%s'", paths[i]);
				goto done;
			}
		} else {
			if (git_index_remove_bypath(index, paths[i]) < 0) {
				git_fail("cannot stage the deletion of '%s'", paths[i]);
				goto done;
			}
			r = git_index_remove(staged, paths[i], 0);
			if (r < 0 && r != GIT_ENOTFOUND) {
				git_fail("cannot stage the deletion of '%s'", paths[i]);
				goto done;
			}
			git_error_clear();
		}
	}
	if (git_index_write_tree_to(&tree_id, staged, g->repo) < 0) {
		git_fail("cannot write the tree to commit");
		goto done;
	}
	/* The index is written first: a process killed before the commit leaves
	 * the paths staged, not a commit the index contradicts. */
	if (git_index_write(index) < 0) {
		git_fail("cannot write the git index");
		goto done;
	}
	if (base ? git_oid_equal(&tree_id, git_tree_id(base)) : git_index_entrycount(staged) == 0) {
		ret = 0; /* nothing to commit */
		goto done;
	}
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		git_fail("cannot read the tree to commit");
		goto done;
	}
	buf_adds(&msg, message ? message : "");
	if (!msg.len || msg.ptr[msg.len - 1] != '\n')
		buf_addc(&msg, '\n');
	parents[0] = parent;
	if (git_commit_create(&commit_id, g->repo, "HEAD", sig, sig, NULL, msg.ptr, tree,
			      parent ? 1 : 0, parents) < 0) {
		git_fail("cannot commit");
		goto done;
	}
	*committed_out = 1;
	ret = 0;
done:
	buf_release(&msg);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	git_signature_free(sig);
	git_index_free(staged);
	git_index_free(index);
	return ret;
}

static int credentials(git_credential **out, const char *url, const char *username_from_url,
		       unsigned int allowed_types, void *payload)
{
	struct remote_session *session = payload;
	const char *token;
	struct buf msg = BUF_INIT;

	if (allowed_types & GIT_CREDENTIAL_SSH_KEY) {
		if (session->tried & GIT_CREDENTIAL_SSH_KEY) {
			git_error_set_str(GIT_ERROR_NET, "the ssh agent has no key the remote accepts");
			return -1;
		}
		session->tried |= GIT_CREDENTIAL_SSH_KEY;
		return git_credential_ssh_key_from_agent(out, username_from_url ? username_from_url : "git");
	}
	if (allowed_types & GIT_CREDENTIAL_USERNAME) {
		if (session->tried & GIT_CREDENTIAL_USERNAME)
			return GIT_PASSTHROUGH;
		session->tried |= GIT_CREDENTIAL_USERNAME;
		return git_credential_username_new(out, username_from_url ? username_from_url : "git");
	}
	if (allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		token = getenv("MAILOUT_GIT_TOKEN");
		if (!token || !*token)
			token = getenv("GITHUB_TOKEN");
		if (!token || !*token) {
			buf_adds(&msg, "the remote ");
			add_scrubbed(&msg, url);
			buf_adds(&msg, " needs credentials: set MAILOUT_GIT_TOKEN (or GITHUB_TOKEN)");
			git_error_set_str(GIT_ERROR_NET, msg.ptr);
			buf_release(&msg);
			return -1;
		}
		if (session->tried & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
			buf_adds(&msg, "the remote ");
			add_scrubbed(&msg, url);
			buf_adds(&msg, " refused the token of MAILOUT_GIT_TOKEN or GITHUB_TOKEN");
			git_error_set_str(GIT_ERROR_NET, msg.ptr);
			buf_release(&msg);
			return -1;
		}
		session->tried |= GIT_CREDENTIAL_USERPASS_PLAINTEXT;
		return git_credential_userpass_plaintext_new(
			out, username_from_url && *username_from_url ? username_from_url : "x-access-token",
			token);
	}
	return GIT_PASSTHROUGH;
}

static void remote_ref_release(struct remote_ref *r)
{
	git_remote_free(r->remote);
	free(r->display);
	free(r->tracking);
}

/* url rewritten by the longest matching url.BASE.insteadOf (or, for a
 * push, url.BASE.pushInsteadOf first) of the configuration, like git. */
static char *rewrite_url(git_config *cfg, const char *url, int push)
{
	static const char *const keys[2] = { ".insteadof", ".pushinsteadof" };
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char *best = NULL;
	size_t best_len = 0, best_kind = 0, k;

	if (git_config_iterator_new(&it, cfg) < 0) {
		git_error_clear();
		return xstrdup(url);
	}
	while (git_config_next(&e, it) == 0) {
		size_t nlen = strlen(e->name), vlen = e->value ? strlen(e->value) : 0;

		if (strncmp(e->name, "url.", 4) || !vlen || strncmp(url, e->value, vlen))
			continue;
		for (k = 0; k < (push ? 2u : 1u); k++) {
			size_t klen = strlen(keys[k]);

			if (nlen <= 4 + klen || strcmp(e->name + nlen - klen, keys[k]))
				continue;
			/* pushInsteadOf wins over insteadOf; then the longest prefix */
			if (best && (k < best_kind || (k == best_kind && vlen <= best_len)))
				continue;
			free(best);
			best = xasprintf("%.*s%s", (int)(nlen - 4 - klen), e->name + 4, url + vlen);
			best_len = vlen;
			best_kind = k;
		}
	}
	git_config_iterator_free(it);
	return best ? best : xstrdup(url);
}

/* A configured remote by name, or an anonymous one for a URL or path.
 * The URL is resolved here (libgit2 1.5's own lookup leaks memory on every
 * call while it applies insteadOf). */
static int remote_open(struct gitrepo *g, const char *name, const char *branch, int push,
		       struct remote_ref *out)
{
	git_remote_create_options opts;
	git_config *cfg = NULL;
	git_buf value = { NULL, 0, 0 };
	char hash[41], *key = NULL, *url = NULL;
	struct stat st;
	int named = 0, ret = -1;

	memset(out, 0, sizeof(*out));
	if (git_repository_config_snapshot(&cfg, g->repo) < 0) {
		git_fail("cannot read the git configuration");
		goto done;
	}
	if (push) {
		key = xasprintf("remote.%s.pushurl", name);
		if (git_config_get_string_buf(&value, cfg, key) == 0)
			named = 1;
		free(key);
	}
	if (!named) {
		key = xasprintf("remote.%s.url", name);
		if (git_config_get_string_buf(&value, cfg, key) == 0)
			named = 2;
		free(key);
	}
	git_error_clear();
	if (named) {
		/* a pushurl takes insteadOf, not pushInsteadOf */
		url = rewrite_url(cfg, value.ptr, named == 2 && push);
		out->display = xstrdup(name);
		out->tracking = xasprintf("refs/remotes/%s/%s", name, branch);
	} else {
		struct buf display = BUF_INIT;

		if (!strstr(name, "://") && !strchr(name, ':') && stat(name, &st) < 0) {
			error_set("no remote named '%s' and no repository at that path", name);
			goto done;
		}
		url = rewrite_url(cfg, name, push);
		add_scrubbed(&display, name);
		out->display = buf_detach(&display, NULL);
		gitrepo_blob_id(hash, name, strlen(name));
		out->tracking = xasprintf("refs/mailout/remotes/%.12s/%s", hash, branch);
	}
	git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	opts.repository = g->repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&out->remote, url, &opts) < 0) {
		git_fail("cannot use the remote '%s'", out->display);
		goto done;
	}
	ret = 0;
done:
	free(url);
	git_buf_dispose(&value);
	git_config_free(cfg);
	return ret;
}

static void init_callbacks(git_remote_callbacks *cb, struct remote_session *session)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = credentials;
	cb->payload = session;
}

int gitrepo_fetch(struct gitrepo *g, const char *remote, char out_tip[41])
{
	struct remote_ref rr = { NULL, NULL, NULL };
	struct remote_session session = { 0, NULL, BUF_INIT };
	git_fetch_options opts;
	git_strarray specs;
	const git_remote_head **heads;
	size_t nheads, i;
	const char *branch;
	char *spec = NULL, *head_name = NULL;
	int ret = -1;

	out_tip[0] = '\0';
	if (!(branch = require_branch(g, "fetch")))
		goto done;
	if (gitrepo_is_shallow(g)) {
		error_set(SHALLOW_MESSAGE("fetch into it"));
		goto done;
	}
	if (remote_open(g, remote, branch, 0, &rr) < 0)
		goto done;
	head_name = xasprintf("refs/heads/%s", branch);
	spec = xasprintf("+%s:%s", head_name, rr.tracking);
	specs.strings = &spec;
	specs.count = 1;
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	init_callbacks(&opts.callbacks, &session);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	opts.proxy_opts.type = GIT_PROXY_AUTO;
	if (git_remote_fetch(rr.remote, &specs, &opts, "mailout: fetch") < 0) {
		git_fail("cannot fetch '%s' from '%s'", branch, rr.display);
		goto done;
	}
	/* The advertised refs stay available after the fetch disconnected. */
	if (git_remote_ls(&heads, &nheads, rr.remote) < 0) {
		git_fail("cannot list the branches of '%s'", rr.display);
		goto done;
	}
	for (i = 0; i < nheads; i++) {
		if (!strcmp(heads[i]->name, head_name))
			git_oid_tostr(out_tip, 41, &heads[i]->oid);
	}
	ret = 0;
done:
	free(spec);
	free(head_name);
	remote_ref_release(&rr);
	return ret;
}

/* The directory of a local remote (a path or a file:// URL), or NULL. */
static char *local_remote_path(const char *url)
{
	struct stat st;

	if (!strncmp(url, "file://", 7))
		return xstrdup(url + 7);
	if (strstr(url, "://"))
		return NULL;
	if (stat(url, &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup(url);
	return NULL;
}

static int rejected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int rejected(const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error_set("%s", msg.ptr);
	buf_release(&msg);
	return GITREPO_REJECTED;
}

/* Writes the commits of local that remote lacks into remote's object
 * database, as one pack. */
static int copy_objects(struct gitrepo *g, git_repository *remote, const git_oid *tip,
			const git_oid *remote_tip)
{
	git_revwalk *walk = NULL;
	git_packbuilder *pb = NULL;
	git_buf objects = { NULL, 0, 0 };
	char *pack_dir = NULL;
	int ret = -1;

	if (git_revwalk_new(&walk, g->repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    (remote_tip && git_revwalk_hide(walk, remote_tip) < 0) ||
	    git_packbuilder_new(&pb, g->repo) < 0 || git_packbuilder_insert_walk(pb, walk) < 0) {
		git_fail("cannot collect the commits to push");
		goto done;
	}
	if (git_repository_item_path(&objects, remote, GIT_REPOSITORY_ITEM_OBJECTS) < 0) {
		git_fail("cannot find the object database of the remote");
		goto done;
	}
	pack_dir = xasprintf("%s%spack", objects.ptr,
			     objects.size && objects.ptr[objects.size - 1] == '/' ? "" : "/");
	if (git_packbuilder_write(pb, pack_dir, 0, NULL, NULL) < 0) {
		git_fail("cannot write the pushed objects");
		goto done;
	}
	ret = 0;
done:
	free(pack_dir);
	git_buf_dispose(&objects);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	return ret;
}

/* Pushes to a bare repository on this machine; the branch is moved with a
 * compare-and-swap against the value read at the start. */
static int push_local(struct gitrepo *g, const char *path, const struct remote_ref *rr,
		      const char *branch, const git_oid *tip)
{
	git_repository *remote = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	git_oid remote_tip;
	char *refname = xasprintf("refs/heads/%s", branch);
	int r, has_tip, ret = -1;

	if (git_repository_open_bare(&remote, path) < 0) {
		git_fail("cannot open the remote '%s' (a local remote must be a bare repository)",
			 rr->display);
		goto done;
	}
	r = git_reference_name_to_id(&remote_tip, remote, refname);
	if (r < 0 && r != GIT_ENOTFOUND) {
		git_fail("cannot read '%s' on '%s'", branch, rr->display);
		goto done;
	}
	git_error_clear();
	has_tip = r == 0;
	if (has_tip && git_oid_equal(&remote_tip, tip)) {
		ret = 0;
		goto tracking;
	}
	if (has_tip) {
		if (git_repository_odb(&odb, g->repo) < 0) {
			git_fail("cannot open the object database");
			goto done;
		}
		if (!git_odb_exists(odb, &remote_tip)) {
			ret = rejected("push to '%s' rejected: '%s' has commits this clone does not have "
				       "(fetch first)", rr->display, branch);
			goto done;
		}
		r = git_graph_descendant_of(g->repo, tip, &remote_tip);
		if (r < 0) {
			git_fail("cannot compare with '%s' on '%s'", branch, rr->display);
			goto done;
		}
		if (!r) {
			ret = rejected("push to '%s' rejected: '%s' is not a fast-forward", rr->display,
				       branch);
			goto done;
		}
	}
	if (copy_objects(g, remote, tip, has_tip ? &remote_tip : NULL) < 0)
		goto done;
	if (has_tip)
		r = git_reference_create_matching(&ref, remote, refname, tip, 1, &remote_tip,
						  "push from mailout");
	else
		r = git_reference_create(&ref, remote, refname, tip, 0, "push from mailout");
	if (r == GIT_EMODIFIED || r == GIT_EEXISTS) {
		ret = rejected("push to '%s' rejected: '%s' moved during the push", rr->display, branch);
		goto done;
	}
	if (r == GIT_ELOCKED) {
		/* A push under way holds the lock for milliseconds; one killed
		 * while it held it leaves the file, and nothing but a person can
		 * tell the two apart (git never removes a lock either). */
		ret = rejected("push to '%s' rejected: '%s%s.lock' exists: another push is updating "
			       "'%s', or one was killed while it did (remove the file if no push is running)",
			       rr->display, git_repository_path(remote), refname, branch);
		goto done;
	}
	if (r < 0) {
		git_fail("cannot update '%s' on '%s'", branch, rr->display);
		goto done;
	}
	ret = 0;
tracking:
	git_reference_free(ref);
	ref = NULL;
	if (git_reference_create(&ref, g->repo, rr->tracking, tip, 1, "push from mailout") < 0) {
		git_fail("cannot update '%s'", rr->tracking);
		ret = -1;
	}
done:
	git_reference_free(ref);
	git_odb_free(odb);
	git_repository_free(remote);
	free(refname);
	return ret;
}

/* git receive-pack prints why it refused a ref ("error: cannot lock ref
 * ...: Unable to create '.../main.lock': File exists.") beside the terse
 * status ("failed to update ref"): kept, within reason. */
static int on_remote_text(const char *str, int len, void *data)
{
	struct remote_session *session = data;

	if (len > 0 && session->said.len < 16384)
		buf_add(&session->said, str, (size_t)len);
	return 0;
}

/* The first "error: " line the remote printed, without the prefix, or
 * NULL; points into said. */
static const char *remote_error(struct buf *said)
{
	char *line = said->ptr, *end;

	if (!said->len)
		return NULL;
	while (line && *line) {
		end = strpbrk(line, "\r\n");
		if (!strncmp(line, "error: ", 7)) {
			if (end)
				*end = '\0';
			return line + 7;
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

static int on_push_status(const char *refname, const char *status, void *data)
{
	struct remote_session *session = data;

	(void)refname;
	if (status && !session->status)
		session->status = xstrdup(status);
	return 0;
}

/* Pushes through libgit2's transports (https, ssh, git); the remote's
 * receive step refuses a ref that moved, and says why per ref. */
static int push_network(struct gitrepo *g, const struct remote_ref *rr, const char *branch,
			const git_oid *tip)
{
	struct remote_session session = { 0, NULL, BUF_INIT };
	struct buf why = BUF_INIT;
	const char *said;
	git_push_options opts;
	git_strarray specs;
	char *spec = xasprintf("refs/heads/%s:refs/heads/%s", branch, branch);
	int r, ret = -1;

	specs.strings = &spec;
	specs.count = 1;
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	init_callbacks(&opts.callbacks, &session);
	opts.callbacks.push_update_reference = on_push_status;
	opts.callbacks.sideband_progress = on_remote_text;
	opts.proxy_opts.type = GIT_PROXY_AUTO;
	r = git_remote_push(rr->remote, &specs, &opts);
	if (r == GIT_ENONFASTFORWARD) {
		/* libgit2 compared with the remote's tip before sending */
		ret = rejected("push to '%s' rejected: '%s' is not a fast-forward (fetch first)",
			       rr->display, branch);
		goto done;
	}
	if (r < 0) {
		git_fail("cannot push to '%s'", rr->display);
		goto done;
	}
	if (session.status) {
		add_scrubbed(&why, session.status);
		/* A hook or a branch protection says no whatever the tip: trying
		 * again cannot help. */
		if (strstr(why.ptr, "declined") || strstr(why.ptr, "protected")) {
			error_set("push to '%s' refused: %s", rr->display, why.ptr);
			goto done;
		}
		said = remote_error(&session.said);
		if (said) {
			buf_adds(&why, " (the remote said: ");
			add_scrubbed(&why, said);
			buf_adds(&why, ")");
		}
		ret = rejected("push to '%s' rejected: %s", rr->display, why.ptr);
		goto done;
	}
	if (git_reference_create(NULL, g->repo, rr->tracking, tip, 1, "push from mailout") < 0) {
		git_fail("cannot update '%s'", rr->tracking);
		goto done;
	}
	ret = 0;
done:
	buf_release(&why);
	buf_release(&session.said);
	free(session.status);
	free(spec);
	return ret;
}

int gitrepo_push(struct gitrepo *g, const char *remote)
{
	struct remote_ref rr = { NULL, NULL, NULL };
	const char *branch;
	char *local = NULL;
	git_oid tip;
	int r, ret = -1;

	if (!(branch = require_branch(g, "push")))
		goto done;
	if (gitrepo_is_shallow(g)) {
		error_set(SHALLOW_MESSAGE("push from it"));
		goto done;
	}
	r = git_reference_name_to_id(&tip, g->repo, "HEAD");
	if (r == GIT_ENOTFOUND) {
		error_set("nothing to push: '%s' has no commit yet", branch);
		goto done;
	}
	if (r < 0) {
		git_fail("cannot read HEAD");
		goto done;
	}
	if (remote_open(g, remote, branch, 1, &rr) < 0)
		goto done;
	local = local_remote_path(git_remote_url(rr.remote));
	if (local)
		ret = push_local(g, local, &rr, branch, &tip);
	else
		ret = push_network(g, &rr, branch, &tip);
done:
	free(local);
	remote_ref_release(&rr);
	return ret;
}

/* Makes path in the working tree and the index exactly as in tree. */
static int reset_path(struct gitrepo *g, git_index *index, git_tree *tree, const char *path)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *full = xasprintf("%s%s", g->workdir, path);
	int r, ret = -1;

	r = git_tree_entry_bypath(&entry, tree, path);
	if (r == GIT_ENOTFOUND) {
		git_error_clear();
		if (content_remove(g->workdir, path, 0) < 0)
			goto done;
		if (git_index_remove_bypath(index, path) < 0) {
			git_fail("cannot unstage '%s'", path);
			goto done;
		}
		ret = 0;
		goto done;
	}
	if (r < 0) {
		git_fail("cannot look up '%s'", path);
		goto done;
	}
	if (git_tree_entry_filemode(entry) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(entry) != GIT_FILEMODE_BLOB_EXECUTABLE) {
		error_set("cannot reset '%s': not a regular file in the commit", path);
		goto done;
	}
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry)) < 0) {
		git_fail("cannot read '%s'", path);
		goto done;
	}
	if (content_mkdir_parents(g->workdir, path) < 0 ||
	    content_write_atomic(g->workdir, path, git_blob_rawcontent(blob),
				 (size_t)git_blob_rawsize(blob)) < 0)
		goto done;
	if (git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE && chmod(full, 0755) < 0) {
		error_set("cannot make '%s' executable: %s", full, strerror(errno));
		goto done;
	}
	if (git_index_add_bypath(index, path) < 0) {
		git_fail("cannot stage '%s'", path);
		goto done;
	}
	ret = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	free(full);
	return ret;
}

static int empty_tree(git_repository *repo, git_tree **out)
{
	git_treebuilder *tb = NULL;
	git_oid id;
	int ret = 0;

	if (git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&id, tb) < 0 ||
	    git_tree_lookup(out, repo, &id) < 0)
		ret = git_fail("cannot write an empty tree");
	git_treebuilder_free(tb);
	return ret;
}

int gitrepo_reset_hard(struct gitrepo *g, const char *oid, const char *const *paths, size_t n)
{
	git_commit *target = NULL, *old = NULL;
	git_tree *tree = NULL, *old_tree = NULL;
	git_index *index = NULL;
	git_checkout_options co;
	git_oid id;
	char *refname = NULL;
	const char *branch;
	size_t i;
	int ret = -1;

	if (!(branch = require_branch(g, "reset")))
		goto done;
	if (strlen(oid) != 40 || git_oid_fromstr(&id, oid) < 0) {
		error_set("'%s' is not a commit id", oid);
		goto done;
	}
	if (git_commit_lookup(&target, g->repo, &id) < 0) {
		git_fail("cannot reset to '%s'", oid);
		goto done;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (!paths) {
		co.checkout_strategy = GIT_CHECKOUT_FORCE;
		if (git_reset(g->repo, (git_object *)target, GIT_RESET_HARD, &co) < 0) {
			git_fail("cannot reset to '%s'", oid);
			goto done;
		}
		ret = 0;
		goto done;
	}
	if (head_commit(g, &old) < 0)
		goto done;
	if (old ? git_commit_tree(&old_tree, old) < 0 : empty_tree(g->repo, &old_tree) < 0) {
		git_fail("cannot read the tree of HEAD");
		goto done;
	}
	if (git_commit_tree(&tree, target) < 0) {
		git_fail("cannot read the tree of '%s'", oid);
		goto done;
	}
	/* The branch first: a process killed after this line leaves the
	 * working tree's changes on the new commit, which it can take over. */
	refname = xasprintf("refs/heads/%s", branch);
	if (git_reference_create(NULL, g->repo, refname, &id, 1, "mailout: reset") < 0) {
		git_fail("cannot move '%s' to '%s'", branch, oid);
		goto done;
	}
	/* Files without local changes follow; files with changes stay. */
	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_ALLOW_CONFLICTS;
	co.baseline = old_tree;
	if (git_checkout_tree(g->repo, (git_object *)target, &co) < 0) {
		git_fail("cannot update the working tree to '%s'", oid);
		goto done;
	}
	/* The index follows the commit everywhere (files kept with local
	 * changes show as unstaged changes). */
	if (git_repository_index(&index, g->repo) < 0 || git_index_read(index, 0) < 0 ||
	    git_index_read_tree(index, tree) < 0) {
		git_fail("cannot reset the git index");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (reset_path(g, index, tree, paths[i]) < 0)
			goto done;
	}
	if (git_index_write(index) < 0) {
		git_fail("cannot write the git index");
		goto done;
	}
	ret = 0;
done:
	free(refname);
	git_index_free(index);
	git_tree_free(tree);
	git_tree_free(old_tree);
	git_commit_free(old);
	git_commit_free(target);
	return ret;
}

static int lookup_tree(struct gitrepo *g, const char *hex, git_tree **out)
{
	git_commit *c = NULL;
	git_oid id;
	int ret = -1;

	*out = NULL;
	if (!*hex)
		return 0;
	if (strlen(hex) != 40 || git_oid_fromstr(&id, hex) < 0) {
		error_set("'%s' is not a commit id", hex);
		return -1;
	}
	if (git_commit_lookup(&c, g->repo, &id) < 0 || git_commit_tree(out, c) < 0) {
		git_fail("cannot read commit '%s'", hex);
		goto done;
	}
	ret = 0;
done:
	git_commit_free(c);
	return ret;
}

/* Whether the diff from tree a to tree b names one of the paths. */
static int diff_touches(struct gitrepo *g, git_tree *a, git_tree *b, const char *const *paths,
			size_t n, int *touched_out)
{
	git_diff *diff = NULL;
	size_t i, j, nd;

	*touched_out = 0;
	if (git_diff_tree_to_tree(&diff, g->repo, a, b, NULL) < 0)
		return git_fail("cannot compare the remote's new commits");
	nd = git_diff_num_deltas(diff);
	for (i = 0; i < nd && !*touched_out; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		for (j = 0; j < n; j++) {
			if ((d->old_file.path && !strcmp(d->old_file.path, paths[j])) ||
			    (d->new_file.path && !strcmp(d->new_file.path, paths[j])))
				*touched_out = 1;
		}
	}
	git_diff_free(diff);
	return 0;
}

/* The tree of tip with the paths as in head. */
static int graft_paths(struct gitrepo *g, git_tree *tip, git_tree *head, const char *const *paths,
		       size_t n, git_oid *tree_out)
{
	git_index *staged = NULL;
	size_t i;
	int r, ret = -1;

	if (git_index_new(&staged) < 0 || (tip && git_index_read_tree(staged, tip) < 0)) {
		git_fail("cannot read the remote's tree");
		goto done;
	}
	for (i = 0; i < n; i++) {
		git_tree_entry *te = NULL;
		git_index_entry ie;

		r = head ? git_tree_entry_bypath(&te, head, paths[i]) : GIT_ENOTFOUND;
		if (r == 0) {
			memset(&ie, 0, sizeof(ie));
			ie.mode = git_tree_entry_filemode(te);
			git_oid_cpy(&ie.id, git_tree_entry_id(te));
			ie.path = paths[i];
			r = git_index_add(staged, &ie);
			git_tree_entry_free(te);
		} else if (r == GIT_ENOTFOUND) {
			r = git_index_remove(staged, paths[i], 0);
			if (r == GIT_ENOTFOUND)
				r = 0;
		}
		if (r < 0) {
			git_fail("cannot stage '%s'", paths[i]);
			goto done;
		}
		git_error_clear();
	}
	if (git_index_write_tree_to(tree_out, staged, g->repo) < 0) {
		git_fail("cannot write the tree to commit");
		goto done;
	}
	ret = 0;
done:
	git_index_free(staged);
	return ret;
}

int gitrepo_rebase_disjoint(struct gitrepo *g, const char *base, const char *tip,
			    const char *const *paths, size_t n, const char *author,
			    int *moved_out)
{
	git_tree *base_tree = NULL, *tip_tree = NULL, *head_tree = NULL, *tree = NULL;
	git_commit *head = NULL, *tip_commit = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	const git_commit *parents[1];
	const char *none[1] = { NULL };
	char hex[41];
	int touched, ret = -1;

	*moved_out = 0;
	if (!require_branch(g, "rebase") || lookup_tree(g, base, &base_tree) < 0 ||
	    lookup_tree(g, tip, &tip_tree) < 0)
		goto done;
	if (!tip_tree) {
		error_set("the remote has no such branch any more");
		goto done;
	}
	if (diff_touches(g, base_tree, tip_tree, paths, n, &touched) < 0)
		goto done;
	if (touched) {
		ret = 0;
		goto done;
	}
	if (head_commit(g, &head) < 0 || !head || git_commit_tree(&head_tree, head) < 0) {
		git_fail("cannot read HEAD");
		goto done;
	}
	if (graft_paths(g, tip_tree, head_tree, paths, n, &tree_id) < 0 ||
	    make_signature(&sig, author) < 0)
		goto done;
	if (git_oid_fromstr(&commit_id, tip) < 0 ||
	    git_commit_lookup(&tip_commit, g->repo, &commit_id) < 0 ||
	    git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		git_fail("cannot read commit '%s'", tip);
		goto done;
	}
	parents[0] = tip_commit;
	if (git_commit_create(&commit_id, g->repo, NULL, git_commit_author(head), sig, NULL,
			      git_commit_message(head), tree, 1, parents) < 0) {
		git_fail("cannot commit on the remote's tip");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &commit_id);
	/* our paths are the same in both commits: only other files move */
	if (gitrepo_reset_hard(g, hex, none, 0) < 0)
		goto done;
	*moved_out = 1;
	ret = 0;
done:
	git_signature_free(sig);
	git_commit_free(tip_commit);
	git_commit_free(head);
	git_tree_free(tree);
	git_tree_free(head_tree);
	git_tree_free(tip_tree);
	git_tree_free(base_tree);
	return ret;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gitrepo_changed_since(struct gitrepo *g, const char *rev, char ***paths_out, size_t *n_out)
{
	git_commit *since = NULL, *head = NULL, *base = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	git_diff_options opts;
	git_oid base_id;
	struct strmap seen = STRMAP_INIT;
	char **paths = NULL;
	size_t n = 0, cap = 0, i, k, count;
	int r, ret = -1;

	*paths_out = NULL;
	*n_out = 0;
	if (resolve_commit(g, rev, &since) < 0 || head_commit(g, &head) < 0)
		goto done;
	git_oid_cpy(&base_id, git_commit_id(since));
	if (head) {
		r = git_merge_base(&base_id, g->repo, git_commit_id(since), git_commit_id(head));
		if (r == GIT_ENOTFOUND) {
			git_error_clear();
			git_oid_cpy(&base_id, git_commit_id(since));
		} else if (r < 0) {
			git_fail("cannot find where HEAD and '%s' meet", rev);
			goto done;
		}
	}
	if (git_commit_lookup(&base, g->repo, &base_id) < 0 || git_commit_tree(&tree, base) < 0) {
		git_fail("cannot read the tree of '%s'", rev);
		goto done;
	}
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		     GIT_DIFF_INCLUDE_TYPECHANGE;
	opts.ignore_submodules = GIT_SUBMODULE_IGNORE_ALL;
	if (git_diff_tree_to_workdir_with_index(&diff, g->repo, tree, &opts) < 0) {
		git_fail("cannot compare the working tree with '%s'", rev);
		goto done;
	}
	count = git_diff_num_deltas(diff);
	for (i = 0; i < count; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *names[2];

		names[0] = d->old_file.path;
		names[1] = d->new_file.path;
		for (k = 0; k < 2; k++) {
			int added;

			if (!names[k])
				continue;
			strmap_put(&seen, names[k], &added);
			if (!added)
				continue;
			XGROW(paths, cap, n + 1);
			paths[n++] = xstrdup(names[k]);
		}
	}
	if (n > 1)
		qsort(paths, n, sizeof(*paths), path_cmp);
	*paths_out = paths;
	*n_out = n;
	paths = NULL;
	n = 0;
	ret = 0;
done:
	free_list(paths, n);
	strmap_release(&seen, NULL);
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(base);
	git_commit_free(head);
	git_commit_free(since);
	return ret;
}
