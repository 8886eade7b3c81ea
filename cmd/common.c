#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign.h"
#include "cmd.h"
#include "diag.h"
#include "plan.h"
#include "safefile.h"
#include "util.h"
#include "xalloc.h"

void cmd_vfprintf(FILE *out, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	buf_vaddf_visible(&b, fmt, ap);
	fwrite(b.ptr, 1, b.len, out);
	buf_release(&b);
}

void cmd_fprintf(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vfprintf(out, fmt, ap);
	va_end(ap);
}

void cmd_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vfprintf(stdout, fmt, ap);
	va_end(ap);
}

/* cmd_error() with a va_list: the whole message made visible, one line. */
void cmd_verror(const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;

	buf_vaddf(&msg, fmt, ap);
	buf_adds(&line, "mailout: ");
	buf_add_visible(&line, msg.ptr, msg.len);
	buf_addc(&line, '\n');
	fwrite(line.ptr, 1, line.len, stderr);
	buf_release(&msg);
	buf_release(&line);
}

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_verror(fmt, ap);
	va_end(ap);
}

struct plan *cmd_open_plan(struct cmd_ctx *ctx, const char *build_dir, unsigned flags)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct plan *p = NULL;

	if (plan_open(&p, ctx->repo, build_dir, flags, &diags) < 0) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
		if (diags.errors)
			cmd_error("the content has %zu error%s ('mailout validate' shows all); the plan was left as it was",
				  diags.errors, diags.errors == 1 ? "" : "s");
		else
			cmd_error("%s", error_last());
		diag_release(&diags);
		return NULL;
	}
	if (diags.count) {
		diag_sort(&diags);
		diag_print(stderr, &diags);
	}
	diag_release(&diags);
	return p;
}

int cmd_lock_logs(const char *root, int *fd_out)
{
	char *path = xstrdup("build/send.lock");
	char holder[256], host[128];
	ssize_t n;
	int fd;

	*fd_out = -1;
	fd = content_mkdirs(root, "build");
	if (fd == 0)
		fd = content_open(root, path, O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		cmd_error("%s", error_last());
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		cmd_error("another mailout command that writes the logs is running on this checkout (%s)",
			  *holder ? holder : "holder unknown");
		close(fd);
		free(path);
		return -1;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown host");
	host[sizeof(host) - 1] = '\0';
	n = snprintf(holder, sizeof(holder), "pid %ld on %s\n", (long)getpid(), host);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, holder, (size_t)n, 0) < 0) {
		cmd_error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	*fd_out = fd;
	return 0;
}

int cmd_check_campaign_arg(struct cmd_ctx *ctx)
{
	if (ctx->nargs == 1)
		return 0;
	if (ctx->nargs)
		cmd_usage_error(ctx, "unexpected argument '%s'", ctx->args[1]);
	else
		cmd_usage_error(ctx, "which campaign?");
	return EXIT_USAGE;
}

const struct campaign *cmd_find_campaign(struct plan *p, const char *id)
{
	const struct campaigns *campaigns = plan_campaigns(p);
	const struct campaign *c = campaigns_find(campaigns, id);
	const char **ids;
	const char *hint;
	size_t i;

	if (c)
		return c;
	ids = xcalloc(campaigns->count + 1, sizeof(*ids));
	for (i = 0; i < campaigns->count; i++)
		ids[i] = campaigns->items[i].id;
	hint = suggest_closest(id, ids, campaigns->count);
	if (hint)
		cmd_error("unknown campaign '%s' (did you mean '%s'?)", id, hint);
	else
		cmd_error("unknown campaign '%s'", id);
	free(ids);
	return NULL;
}
