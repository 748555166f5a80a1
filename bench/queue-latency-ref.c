/* SPDX-License-Identifier: MIT */
/*
 * queue-latency-ref: the reference of bench/queue-latency — a bare Redis Streams round
 * trip, XADD by one connection to XREADGROUP ... BLOCK returning on another, with nothing
 * else in between (no job parsing, no PostgreSQL).
 *
 *   queue-latency-ref HOST PORT KEY N GAP_MS
 *
 * A consumer thread blocks in XREADGROUP GROUP g c COUNT 1 BLOCK 0 on KEY; the main thread
 * XADDs N entries GAP_MS apart, each carrying its CLOCK_REALTIME send time in µs; the
 * consumer takes the difference to its own clock when the read returns, acknowledges and
 * deletes the entry (as the runner does), and prints one latency in µs a line.  KEY is
 * deleted at the end.  Built by bench/queue-latency with cc and hiredis.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

struct arg {
	const char *host, *key;
	int port, n;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
consume(void *p)
{
	const struct arg *a = p;
	redisContext *c = redisConnect(a->host, a->port);
	int got = 0;

	if (c == NULL || c->err) {
		fprintf(stderr, "consumer: cannot connect\n");
		exit(1);
	}
	while (got < a->n) {
		redisReply *r = redisCommand(c, "XREADGROUP GROUP g c COUNT 1 BLOCK 0 STREAMS %s >", a->key);
		long long t1 = now_us();

		if (r == NULL) {
			fprintf(stderr, "consumer: connection lost\n");
			exit(1);
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
			redisReply *entries = r->element[0]->element[1];
			size_t i;

			for (i = 0; i < entries->elements; i++) {
				redisReply *e = entries->element[i], *f = e->element[1];
				long long t0 = f->elements >= 2 ? strtoll(f->element[1]->str, NULL, 10) : t1;
				redisReply *x;

				printf("%lld\n", t1 - t0);
				got++;
				x = redisCommand(c, "XACK %s g %s", a->key, e->element[0]->str);
				freeReplyObject(x);
				x = redisCommand(c, "XDEL %s %s", a->key, e->element[0]->str);
				freeReplyObject(x);
			}
		}
		freeReplyObject(r);
	}
	redisFree(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct arg a;
	redisContext *c;
	redisReply *r;
	pthread_t th;
	int i, gap_ms;

	if (argc != 6) {
		fprintf(stderr, "usage: %s HOST PORT KEY N GAP_MS\n", argv[0]);
		return 2;
	}
	a = (struct arg){argv[1], argv[3], atoi(argv[2]), atoi(argv[4])};
	gap_ms = atoi(argv[5]);
	c = redisConnect(a.host, a.port);
	if (c == NULL || c->err) {
		fprintf(stderr, "cannot connect\n");
		return 1;
	}
	r = redisCommand(c, "XGROUP CREATE %s g $ MKSTREAM", a.key);
	freeReplyObject(r);
	if (pthread_create(&th, NULL, consume, &a) != 0)
		return 1;
	for (i = 0; i < a.n; i++) {
		struct timespec gap = {gap_ms / 1000, (long)(gap_ms % 1000) * 1000000L};
		char t[32];

		nanosleep(&gap, NULL);
		snprintf(t, sizeof(t), "%lld", now_us());
		r = redisCommand(c, "XADD %s * t %s", a.key, t);
		if (r == NULL) {
			fprintf(stderr, "producer: connection lost\n");
			return 1;
		}
		freeReplyObject(r);
	}
	pthread_join(th, NULL);
	r = redisCommand(c, "DEL %s", a.key);
	freeReplyObject(r);
	redisFree(c);
	return 0;
}
