/* SPDX-License-Identifier: MIT */
/*
 * handoff: a bounded FIFO that hands items from one producer thread to one or more
 * consumer threads (the export's pages of rows, the pack's workbooks).  Items are the
 * caller's: each starts with a struct hitem, and a handoff never allocates or frees one.
 * A consumer that gives up calls handoff_end(q, 1) (stop): puts fail from then on, and
 * the consumers still get what was queued (to free it).
 */
#ifndef FB_HANDOFF_H
#define FB_HANDOFF_H

#include <pthread.h>
#include <stddef.h>

/* An item of a hand-off starts with this. */
struct hitem {
	struct hitem *next;
};

/*
 * At most room items wait.  done: nothing more will be put; stop: the consumers gave up.
 * mu may also guard a caller's own state next to the queue.
 */
struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* an item put or taken, done or stop */
	struct hitem *head, *tail;
	size_t queued, room;
	int done, stop;
};

void handoff_init(struct handoff *q, size_t room);
void handoff_fini(struct handoff *q);
/* Put it, waiting for room; -1 (it not queued) after a stop. */
int handoff_put(struct handoff *q, struct hitem *it);
/* The next item, waiting for one; NULL once done and empty.  *stop: a stop was asked. */
struct hitem *handoff_get(struct handoff *q, int *stop);
/* Set done (the producer) or stop (a consumer). */
void handoff_end(struct handoff *q, int stop);

#endif
