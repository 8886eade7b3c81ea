/* The index and the history of a repository (see githistory.h). */
#include "githistory.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "gitrepo.h"
#include "util.h"
#include "xalloc.h"

static int lib_fail(const char *what)
{
	const git_error *e = git_error_last();

	return error_set("%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* 1 when root is in a git repository, 0 when not. */
static int in_repository(const char *root)
{
	static int initialised;

	if (!initialised) {
		git_libgit2_init();
		initialised = 1;
	}
	return git_repository_open_ext(NULL, root, 0, NULL) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int githistory_tracked(char ***out, size_t *n_out, const char *root)
{
	struct gitrepo *g = NULL;
	git_index *index = NULL;
	char **list = NULL;
	size_t i, n = 0, cap = 0, count;
	const char *rel;
	int ret = -1;

	*out = NULL;
	*n_out = 0;
	if (!in_repository(root)) {
		*out = xcalloc(1, sizeof(char *));
		return 0;
	}
	if (gitrepo_open(&g, root) < 0)
		return -1;
	if (git_repository_index(&index, gitrepo_repository(g)) < 0) {
		lib_fail("cannot read the git index");
		goto done;
	}
	count = git_index_entrycount(index);
	for (i = 0; i < count; i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);

		if (!e || GIT_INDEX_ENTRY_STAGE(e) > 1 || e->mode == GIT_FILEMODE_COMMIT)
			continue;
		rel = gitrepo_root_path(g, e->path);
		if (!rel)
			continue;
		XGROW(list, cap, n + 1);
		list[n++] = xstrdup(rel);
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_str);
	XGROW(list, cap, n + 1);
	*out = list;
	*n_out = n;
	list = NULL;
	ret = 1;
done:
	git_index_free(index);
	gitrepo_free(g);
	free(list);
	return ret;
}

/* The matching paths below one tree, relative to it. */
struct paths {
	char **items;
	size_t count, cap;
};

static void paths_add(struct paths *p, char *path)
{
	XGROW(p->items, p->cap, p->count + 1);
	p->items[p->count++] = path;
}

static void paths_free(void *v)
{
	struct paths *p = v;

	if (!p)
		return;
	free_list(p->items, p->count);
	free(p);
}

struct walk {
	git_repository *repo;
	githistory_match_fn match;
	void *payload;
	struct strmap blobs; /* id -> (void *)1 matching, (void *)2 not */
	struct strmap trees; /* id -> struct paths */
	struct githistory_stats stats;
};

static int blob_matches(struct walk *w, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_blob *blob = NULL;
	struct strmap_entry *e;
	int added, m;

	git_oid_tostr(hex, sizeof(hex), id);
	e = strmap_get(&w->blobs, hex);
	if (e)
		return e->value == (void *)1;
	if (git_blob_lookup(&blob, w->repo, id) < 0)
		return lib_fail("cannot read a blob of the history");
	m = w->match(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), w->payload) > 0;
	git_blob_free(blob);
	w->stats.blobs++;
	strmap_put(&w->blobs, hex, &added)->value = m ? (void *)1 : (void *)2;
	return m;
}

/* The matching paths of tree id (kept in w->trees; *out owned there). */
static int scan_tree(struct walk *w, const git_oid *id, const struct paths **out)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_tree *tree = NULL;
	struct paths *p;
	struct strmap_entry *e;
	size_t i, j, count;
	int added, ret = -1;

	git_oid_tostr(hex, sizeof(hex), id);
	e = strmap_get(&w->trees, hex);
	if (e) {
		*out = e->value;
		return 0;
	}
	if (git_tree_lookup(&tree, w->repo, id) < 0)
		return lib_fail("cannot read a tree of the history");
	w->stats.trees++;
	p = xcalloc(1, sizeof(*p));
	count = git_tree_entrycount(tree);
	for (i = 0; i < count; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(te);
		const struct paths *sub;
		int m;

		if (git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
			m = blob_matches(w, git_tree_entry_id(te));
			if (m < 0)
				goto done;
			if (m)
				paths_add(p, xstrdup(name));
		} else if (git_tree_entry_type(te) == GIT_OBJECT_TREE) {
			if (scan_tree(w, git_tree_entry_id(te), &sub) < 0)
				goto done;
			for (j = 0; j < sub->count; j++)
				paths_add(p, xasprintf("%s/%s", name, sub->items[j]));
		}
	}
	/* put only now: the walk below may have grown the map */
	strmap_put(&w->trees, hex, &added)->value = p;
	*out = p;
	p = NULL;
	ret = 0;
done:
	paths_free(p);
	git_tree_free(tree);
	return ret;
}

/* Every ref's commit (and HEAD's) into the walk. */
static int push_refs(git_repository *repo, git_revwalk *walk)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	git_object *obj;
	int r;

	if (git_revwalk_push_head(walk) < 0 && git_error_last() &&
	    !git_repository_head_unborn(repo))
		return lib_fail("cannot walk from HEAD");
	if (git_reference_iterator_new(&it, repo) < 0)
		return lib_fail("cannot list the refs");
	while ((r = git_reference_next(&ref, it)) == 0) {
		/* tags of trees or blobs and broken refs lead to no commit */
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
			git_revwalk_push(walk, git_object_id(obj));
			git_object_free(obj);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (r != GIT_ITEROVER)
		return lib_fail("cannot list the refs");
	return 0;
}

int githistory_search(const char *root, githistory_match_fn match, void *match_payload,
		      githistory_hit_fn hit, void *hit_payload, struct githistory_stats *stats_out)
{
	struct gitrepo *g = NULL;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	struct walk w;
	git_oid id;
	const struct paths *found;
	int r, ret = -1;

	memset(&w, 0, sizeof(w));
	w.match = match;
	w.payload = match_payload;
	if (!in_repository(root)) {
		error_set("'%s' is not in a git repository", root);
		goto done;
	}
	if (gitrepo_open(&g, root) < 0)
		goto done;
	w.repo = gitrepo_repository(g);
	if (git_revwalk_new(&walk, w.repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TIME) < 0) {
		lib_fail("cannot walk the history");
		goto done;
	}
	if (push_refs(w.repo, walk) < 0)
		goto done;
	while ((r = git_revwalk_next(&id, walk)) == 0) {
		struct githistory_hit h;

		if (git_commit_lookup(&commit, w.repo, &id) < 0) {
			lib_fail("cannot read a commit of the history");
			goto done;
		}
		w.stats.commits++;
		if (scan_tree(&w, git_commit_tree_id(commit), &found) < 0)
			goto done;
		if (found->count) {
			git_oid_tostr(h.id, sizeof(h.id), &id);
			h.time = (time_t)git_commit_time(commit);
			h.paths = (const char *const *)found->items;
			h.npaths = found->count;
			if (hit(&h, hit_payload))
				break;
		}
		git_commit_free(commit);
		commit = NULL;
	}
	if (r < 0 && r != GIT_ITEROVER) {
		lib_fail("cannot walk the history");
		goto done;
	}
	ret = 0;
done:
	if (stats_out)
		*stats_out = w.stats;
	git_commit_free(commit);
	git_revwalk_free(walk);
	strmap_release(&w.blobs, NULL);
	strmap_release(&w.trees, paths_free);
	gitrepo_free(g);
	return ret;
}

int githistory_contains(const char *root, const char *descendant, const char *ancestor)
{
	struct gitrepo *g = NULL;
	git_oid d, a;
	int r = -1;

	if (gitrepo_open(&g, root) < 0)
		return -1;
	if (git_oid_fromstr(&d, descendant) < 0 || git_oid_fromstr(&a, ancestor) < 0) {
		error_set("not a commit id");
		goto done;
	}
	if (git_oid_equal(&d, &a)) {
		r = 1;
		goto done;
	}
	r = git_graph_descendant_of(gitrepo_repository(g), &d, &a);
	if (r < 0)
		lib_fail("cannot compare commits");
done:
	gitrepo_free(g);
	return r;
}
