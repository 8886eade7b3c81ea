/*
 * Jobs run on worker threads and taken back in order: the pipeline that
 * parses content files on every core while one consumer (the plan's
 * SQLite writer, validate's checks) handles them one after the other.
 *
 * A pool runs the jobs 0..n-1 of run(ctx, i), each once, on its threads.
 * The consumer takes them in order: workpool_wait(w, i) returns when job i
 * has run, and tells the pool that the consumer is done with every job
 * before i.  At most `window` jobs from the one being waited for on are
 * run ahead, so what their results hold in memory stays bounded.  Each job
 * writes only its own result (ctx's slot i); the pool's lock orders those
 * writes before workpool_wait() returns.
 *
 * With one thread no thread is started: workpool_wait(w, i) runs job i
 * itself, so MAILOUT_JOBS=1 takes the single-threaded path through the
 * same code.
 */
#ifndef MAILOUT_WORKPOOL_H
#define MAILOUT_WORKPOOL_H

#include <stddef.h>

#define WORKPOOL_MAX_THREADS 256

/*
 * The number of worker threads for parsing: MAILOUT_JOBS when it is set
 * (a whole number from 1 to WORKPOOL_MAX_THREADS), else the cores online.
 * workpool_threads_check() returns -1 after error_set() when MAILOUT_JOBS
 * is set to anything else (cmd/ refuses to start); workpool_threads() then
 * takes the cores online.
 */
int workpool_threads_check(void);
unsigned workpool_threads(void);

typedef void (*workpool_fn)(void *ctx, size_t job);

struct workpool;

/* Starts min(threads, n) threads (none when that is 1 or less; fewer when
 * the system refuses more).  window >= 1.  Never fails. */
struct workpool *workpool_start(size_t n, unsigned threads, size_t window, workpool_fn run,
				void *ctx);
/* Waits until job i has run; i is 0 first, then one more each call. */
void workpool_wait(struct workpool *w, size_t i);
/* Stops the pool: jobs not started are not run, running ones finish and
 * the threads are joined, so the consumer may then release the results of
 * every job that ran (results start zeroed: an empty slot did not run).
 * Accepts NULL. */
void workpool_free(struct workpool *w);

#endif
