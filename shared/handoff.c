/* SPDX-License-Identifier: MIT */
/*
 * handoff: a bounded FIFO between threads (see handoff.h).  Nothing is allocated here.
 */
#include <string.h>

#include "handoff.h"

void
handoff_init(struct handoff *q, size_t room)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->room = room;
}

void
handoff_fini(struct handoff *q)
{
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

int
handoff_put(struct handoff *q, struct hitem *it)
{
	int stop;

	pthread_mutex_lock(&q->mu);
	while (q->queued >= q->room && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	stop = q->stop;
	if (!stop) {
		it->next = NULL;
		if (q->tail != NULL)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		q->queued++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return stop ? -1 : 0;
}

struct hitem *
handoff_get(struct handoff *q, int *stop)
{
	struct hitem *it;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->done)
		pthread_cond_wait(&q->cv, &q->mu);
	it = q->head;
	if (it != NULL) {
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued--;
		pthread_cond_broadcast(&q->cv);
	}
	*stop = q->stop;
	pthread_mutex_unlock(&q->mu);
	return it;
}

void
handoff_end(struct handoff *q, int stop)
{
	pthread_mutex_lock(&q->mu);
	if (stop)
		q->stop = 1;
	else
		q->done = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

