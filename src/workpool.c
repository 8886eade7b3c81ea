#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag.h"
#include "safefile.h"
#include "xalloc.h"

struct workpool {
	size_t n, window;
	workpool_fn run;
	void *ctx;
	pthread_t *threads;
	unsigned nthreads;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job may start, or the pool stops */
	pthread_cond_t finished; /* the job the consumer waits for has run */
	/* under lock */
	size_t next; /* the next job to hand out */
	size_t taken; /* the consumer is done with every job before this one */
	unsigned char *ran;
	int stop;
};

/* MAILOUT_JOBS as a number, 0 when it is not one from 1 to the maximum. */
static unsigned jobs_from_env(const char *s)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && v <= WORKPOOL_MAX_THREADS; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return p == s || *p || v < 1 || v > WORKPOOL_MAX_THREADS ? 0 : (unsigned)v;
}

int workpool_threads_check(void)
{
	const char *s = getenv("MAILOUT_JOBS");

	if (s && !jobs_from_env(s))
		return error_set("invalid MAILOUT_JOBS '%s': a whole number from 1 to %d", s,
				 WORKPOOL_MAX_THREADS);
	return 0;
}

unsigned workpool_threads(void)
{
	const char *s = getenv("MAILOUT_JOBS");
	unsigned v = s ? jobs_from_env(s) : 0;
	long cores;

	if (v)
		return v;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		return 1;
	return cores > WORKPOOL_MAX_THREADS ? WORKPOOL_MAX_THREADS : (unsigned)cores;
}

static void *worker(void *arg)
{
	struct workpool *w = arg;
	size_t job;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && w->next < w->n && w->next >= w->taken + w->window)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->stop || w->next >= w->n)
			break;
		job = w->next++;
		pthread_mutex_unlock(&w->lock);
		w->run(w->ctx, job);
		pthread_mutex_lock(&w->lock);
		w->ran[job] = 1;
		if (job == w->taken)
			pthread_cond_signal(&w->finished);
	}
	pthread_mutex_unlock(&w->lock);
	/* what the jobs left in this thread's own state goes with it */
	error_clear();
	content_refusal_clear();
	return NULL;
}

struct workpool *workpool_start(size_t n, unsigned threads, size_t window, workpool_fn run,
				void *ctx)
{
	struct workpool *w = xcalloc(1, sizeof(*w));
	unsigned i;

	w->n = n;
	w->window = window ? window : 1;
	w->run = run;
	w->ctx = ctx;
	w->ran = xcalloc(n ? n : 1, 1);
	if (threads > n)
		threads = (unsigned)n;
	if (threads <= 1)
		return w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->finished, NULL);
	w->threads = xcalloc(threads, sizeof(*w->threads));
	for (i = 0; i < threads; i++) {
		if (pthread_create(&w->threads[w->nthreads], NULL, worker, w) != 0)
			break;
		w->nthreads++;
	}
	return w;
}

void workpool_wait(struct workpool *w, size_t i)
{
	if (!w->nthreads) {
		/* the single-threaded path: the consumer runs each job itself */
		w->run(w->ctx, i);
		w->ran[i] = 1;
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->taken = i;
	pthread_cond_broadcast(&w->work);
	while (!w->ran[i])
		pthread_cond_wait(&w->finished, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void workpool_free(struct workpool *w)
{
	unsigned i;

	if (!w)
		return;
	if (w->threads) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_broadcast(&w->work);
		pthread_mutex_unlock(&w->lock);
		for (i = 0; i < w->nthreads; i++)
			pthread_join(w->threads[i], NULL);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->finished);
		pthread_mutex_destroy(&w->lock);
		free(w->threads);
	}
	free(w->ran);
	free(w);
}
