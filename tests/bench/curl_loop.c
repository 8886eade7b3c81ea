/*
 * The bare loop the sender is measured against: N messages of the same
 * size over one reused libcurl SMTP connection to the same sink.
 *
 *   bench_curl_loop URL COUNT SIZE
 *
 * Prints "curl loop: N messages in S s: R messages/s".
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *out, size_t size, size_t n, void *payload)
{
	struct upload *u = payload;
	size_t room = size * n, left = u->len - u->pos;

	if (left < room)
		room = left;
	memcpy(out, u->data + u->pos, room);
	u->pos += room;
	return room;
}

int main(int argc, char **argv)
{
	struct curl_slist *rcpt = NULL;
	struct timespec t0, t1;
	struct upload u;
	char *msg, addr[64];
	long count, size, i, failed = 0;
	double secs;
	size_t pos;
	CURL *c;

	if (argc != 4) {
		fprintf(stderr, "usage: %s URL COUNT SIZE\n", argv[0]);
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	size = strtol(argv[3], NULL, 10);
	msg = malloc((size_t)size + 200);
	pos = (size_t)snprintf(msg, 200, "From: bench@example.com\r\nTo: r@example.net\r\nSubject: bench\r\n\r\n");
	while ((long)pos + 78 < size) {
		memset(msg + pos, 'x', 76);
		memcpy(msg + pos + 76, "\r\n", 2);
		pos += 78;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, "<bench@example.com>");
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		snprintf(addr, sizeof(addr), "<r%ld@example.net>", i);
		rcpt = curl_slist_append(NULL, addr);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		u.data = msg;
		u.len = pos;
		u.pos = 0;
		if (curl_easy_perform(c) != CURLE_OK)
			failed++;
		curl_slist_free_all(rcpt);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("curl loop: %ld messages (%ld failed) of %zu bytes in %.2f s: %.0f messages/s\n", count,
	       failed, pos, secs, (double)count / secs);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	free(msg);
	return failed ? 1 : 0;
}
