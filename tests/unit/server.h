/*
 * Test servers for unit tests: a Python script from tests/tools started
 * with its port 0, which prints "READY <port>" once it listens.  Include
 * after <cmocka.h>.
 */
#ifndef MAILOUT_TEST_SERVER_H
#define MAILOUT_TEST_SERVER_H

#include <netinet/in.h>
#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define TEST_PYTHON "/usr/bin/python3"

/* Starts python3 script args... and waits for its "READY <port>": the
 * server's pid, with *port set. */
static inline pid_t test_server_start(const char *script, const char *const *args, int *port)
{
	const char *argv[40];
	char line[256];
	size_t n = 0, len = 0;
	int fds[2], i;
	struct pollfd pfd;
	pid_t pid;

	argv[n++] = TEST_PYTHON;
	argv[n++] = script;
	for (i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(access(script, R_OK), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(TEST_PYTHON, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		ssize_t got;
		char *nl;

		assert_int_equal(poll(&pfd, 1, 30000), 1);
		got = read(fds[0], line + len, sizeof(line) - 1 - len);
		assert_true(got > 0);
		len += (size_t)got;
		line[len] = '\0';
		nl = strchr(line, '\n');
		if (!nl)
			continue;
		*nl = '\0';
		if (strncmp(line, "READY ", 6) == 0)
			break;
		len -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, len + 1);
	}
	close(fds[0]);
	*port = (int)strtol(line + 6, NULL, 10);
	assert_true(*port > 0);
	return pid;
}

/* A loopback port nothing listens on (bound, then closed). */
static inline int test_closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Group setup and teardown of suites that talk to servers through libcurl. */
static inline int test_curl_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static inline int test_curl_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

#endif
