#include "changes.h"

#include <stdlib.h>
#include <string.h>

#include "gitrepo.h"
#include "util.h"
#include "xalloc.h"

int changes_since(struct changes *out, const char *root, const char *rev)
{
	struct gitrepo *g = NULL;
	char **paths = NULL, **files = NULL;
	size_t n = 0, nfiles = 0, i;
	int ret = -1;

	out->files = NULL;
	out->count = 0;
	if (gitrepo_open(&g, root) < 0 || gitrepo_changed_since(g, rev, &paths, &n) < 0)
		goto done;
	files = xcalloc(n ? n : 1, sizeof(*files));
	for (i = 0; i < n; i++) {
		const char *rel = gitrepo_root_path(g, paths[i]);

		if (rel) /* sorted already: the prefix is common to all */
			files[nfiles++] = xstrdup(rel);
	}
	out->files = files;
	out->count = nfiles;
	files = NULL;
	ret = 0;
done:
	free_list(paths, n);
	free(files);
	gitrepo_free(g);
	return ret;
}

void changes_release(struct changes *c)
{
	if (!c)
		return;
	free_list(c->files, c->count);
	c->files = NULL;
	c->count = 0;
}

int changes_touch(const struct changes *c, const char *path)
{
	size_t len = strlen(path), i;

	if (!len)
		return 0;
	for (i = 0; i < c->count; i++) {
		const char *f = c->files[i];

		if (!strncmp(f, path, len) && (f[len] == '\0' || f[len] == '/'))
			return 1;
	}
	return 0;
}

size_t changes_mark(const struct changes *c, struct diag_list *diags, const char *rev)
{
	size_t i, count = 0;

	for (i = 0; i < diags->count; i++) {
		struct diag *d = &diags->items[i];
		char *message;

		if (!changes_touch(c, d->path))
			continue;
		d->changed = 1;
		message = xasprintf("%s (changed since %s)", d->message, rev);
		free(d->message);
		d->message = message;
		count++;
	}
	return count;
}

size_t changes_campaigns(const char **out, const struct changes *c,
			 const struct campaigns *campaigns)
{
	size_t i, n = 0;

	for (i = 0; i < campaigns->count; i++) {
		char *dir = xasprintf("campaigns/%s", campaigns->items[i].id);

		if (changes_touch(c, dir))
			out[n++] = campaigns->items[i].id;
		free(dir);
	}
	return n;
}
