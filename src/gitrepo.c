#include "gitrepo.h"

#include <git2.h>
#include <string.h>

#include "diag.h"

static void init_once(void)
{
	static int done;

	if (!done) {
		git_libgit2_init();
		done = 1;
	}
}

void gitrepo_blob_id(char out[41], const void *data, size_t len)
{
	git_oid oid;

	init_once();
	git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB);
	git_oid_tostr(out, 41, &oid);
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
