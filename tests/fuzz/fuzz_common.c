#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"
#include "yamlfile.h"

static const char config_yaml[] =
	"organization: { name: Example GmbH, postal_address: \"Beispielstrasse 1, 10115 Berlin\", "
	"site_url: https://status.example.com, timezone: Europe/Berlin }\n"
	"unsubscribe: { address: unsubscribe@example.com }\n"
	"departments: [ { id: emea, name: Sales EMEA } ]\n"
	"people:\n"
	"  - { id: alice, name: Alice Adams, email: alice@example.com, department: emea, role: sales_manager }\n"
	"accounts:\n"
	"  - { id: alice-news, owner: alice, from: \"Alice Adams <alice@example.com>\", "
	"smtp: \"smtp://127.0.0.1:2525\", daily_limit: 100 }\n";

static struct config config;
static int config_ready;
static char *root;

static void config_free(void)
{
	config_release(&config);
}

const struct config *fuzz_config(void)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ydoc *doc = NULL;

	if (config_ready)
		return &config;
	if (ydoc_parse(&doc, CONFIG_FILE, config_yaml, strlen(config_yaml), 0, &diags) < 0 ||
	    config_load_doc(&config, doc, &diags) < 0 || diags.errors) {
		diag_print(stderr, &diags);
		abort();
	}
	ydoc_free(doc);
	diag_release(&diags);
	config_ready = 1;
	atexit(config_free);
	return &config;
}

static void remove_tree(const char *path)
{
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = xasprintf("%s/%s", path, e->d_name);
		remove_tree(child);
		free(child);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static void root_free(void)
{
	remove_tree(root);
	free(root);
	root = NULL;
}

const char *fuzz_root(void)
{
	char tmpl[] = "/tmp/mailout-fuzz-XXXXXX";

	if (root)
		return root;
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		abort();
	}
	root = xstrdup(tmpl);
	atexit(root_free);
	fuzz_write(CONFIG_FILE, config_yaml, strlen(config_yaml));
	return root;
}

void fuzz_write(const char *rel, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", fuzz_root(), rel);
	FILE *f = fopen(path, "wb");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	free(path);
}
