// SPDX-License-Identifier: MIT
/*
 * The demo the README runs cleak against: a small "service" with a pool of
 * idle workers, a dispatcher waiting for jobs, a log writer blocked on a
 * pipe and two threads that hold each other up on mutexes the way a hung
 * service does.  Prints "ready <pid>" and runs until stdin closes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t accounts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ledger = PTHREAD_MUTEX_INITIALIZER;
static int log_pipe[2];

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "pool-worker");
	pthread_mutex_lock(&queue_lock);
	for (;;)
		pthread_cond_wait(&job_ready, &queue_lock);
	return NULL;
}

static void *log_writer(void *arg)
{
	char buf[256];

	(void)arg;
	pthread_setname_np(pthread_self(), "log-writer");
	while (read(log_pipe[0], buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static void transfer(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	usleep(100000);
	pthread_mutex_lock(second);	/* the other thread holds it */
}

static void *payments(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "payments");
	transfer(&accounts, &ledger);
	return NULL;
}

static void *refunds(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "refunds");
	transfer(&ledger, &accounts);
	return NULL;
}

int main(void)
{
	pthread_t t;
	char line[64];
	int i;

	if (pipe(log_pipe))
		return 1;
	for (i = 0; i < 8; i++)
		pthread_create(&t, NULL, worker, NULL);
	pthread_create(&t, NULL, log_writer, NULL);
	pthread_create(&t, NULL, payments, NULL);
	pthread_create(&t, NULL, refunds, NULL);
	usleep(300000);
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
