#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "workpool.h"
#include "xalloc.h"

/* What the jobs did: each writes its own slot; the counters are shared
 * and so under a lock of their own. */
struct jobs {
	size_t n;
	size_t *result;
	pthread_t *thread;
	pthread_mutex_t lock;
	size_t taken; /* the consumer has waited for jobs up to here */
	size_t started, max_ahead;
};

static void run_job(void *ctx, size_t i)
{
	struct jobs *j = ctx;

	pthread_mutex_lock(&j->lock);
	j->started++;
	if (i - j->taken > j->max_ahead)
		j->max_ahead = i - j->taken;
	pthread_mutex_unlock(&j->lock);
	if (i % 7 == 0)
		usleep(2000); /* some jobs are slow: later ones finish first */
	j->result[i] = i * i + 1;
	j->thread[i] = pthread_self();
}

static void jobs_init(struct jobs *j, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->n = n;
	j->result = xcalloc(n, sizeof(*j->result));
	j->thread = xcalloc(n, sizeof(*j->thread));
	pthread_mutex_init(&j->lock, NULL);
}

static void jobs_release(struct jobs *j)
{
	free(j->result);
	free(j->thread);
	pthread_mutex_destroy(&j->lock);
}

/* Taken in order, each result complete when its wait returns, never more
 * than the window ahead of the consumer, on threads other than its own. */
static void test_ordered_and_bounded(void **state)
{
	struct jobs j;
	struct workpool *w;
	size_t i, other = 0;

	(void)state;
	jobs_init(&j, 200);
	w = workpool_start(j.n, 4, 3, run_job, &j);
	for (i = 0; i < j.n; i++) {
		pthread_mutex_lock(&j.lock);
		j.taken = i;
		pthread_mutex_unlock(&j.lock);
		workpool_wait(w, i);
		assert_int_equal(j.result[i], i * i + 1);
		other += !pthread_equal(j.thread[i], pthread_self());
	}
	workpool_free(w);
	assert_int_equal(j.started, 200);
	assert_int_equal(other, 200);
	/* job i starts only while the consumer waits for i - 2 or later */
	assert_true(j.max_ahead <= 2);
	jobs_release(&j);
}

/* One thread: no thread at all, each job runs inside its wait. */
static void test_one_thread_runs_inline(void **state)
{
	struct jobs j;
	struct workpool *w;
	size_t i;

	(void)state;
	jobs_init(&j, 20);
	w = workpool_start(j.n, 1, 4, run_job, &j);
	for (i = 0; i < j.n; i++) {
		assert_int_equal(j.started, i); /* nothing ran ahead */
		workpool_wait(w, i);
		assert_int_equal(j.result[i], i * i + 1);
		assert_true(pthread_equal(j.thread[i], pthread_self()));
	}
	workpool_free(w);
	jobs_release(&j);
}

/* A consumer that stops early: the pool stops too, without running the
 * jobs far ahead, and what ran is there to release. */
static void test_stop_early(void **state)
{
	struct jobs j;
	struct workpool *w;
	size_t i, ran = 0;

	(void)state;
	jobs_init(&j, 1000);
	w = workpool_start(j.n, 3, 2, run_job, &j);
	workpool_wait(w, 0);
	workpool_wait(w, 1);
	workpool_free(w);
	for (i = 0; i < j.n; i++)
		ran += j.result[i] != 0;
	assert_int_equal(ran, j.started);
	assert_true(ran >= 2 && ran <= 3);
	workpool_free(NULL);
	jobs_release(&j);
}

/* MAILOUT_JOBS: a count from 1 to 256, or refused with the value named;
 * unset, the cores online. */
static void test_threads_from_env(void **state)
{
	static const char *const bad[] = { "0", "-1", "x", "2x", " 2", "257", "99999999999999999999", "" };
	size_t i;

	(void)state;
	unsetenv("MAILOUT_JOBS");
	assert_int_equal(workpool_threads_check(), 0);
	assert_int_equal(workpool_threads(), (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	setenv("MAILOUT_JOBS", "1", 1);
	assert_int_equal(workpool_threads(), 1);
	setenv("MAILOUT_JOBS", "256", 1);
	assert_int_equal(workpool_threads_check(), 0);
	assert_int_equal(workpool_threads(), 256);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *want = xasprintf("invalid MAILOUT_JOBS '%s': a whole number from 1 to 256", bad[i]);

		setenv("MAILOUT_JOBS", bad[i], 1);
		assert_int_equal(workpool_threads_check(), -1);
		assert_string_equal(error_last(), want);
		assert_int_equal(workpool_threads(), (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
		free(want);
	}
	unsetenv("MAILOUT_JOBS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordered_and_bounded),
		cmocka_unit_test(test_one_thread_runs_inline),
		cmocka_unit_test(test_stop_early),
		cmocka_unit_test(test_threads_from_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
