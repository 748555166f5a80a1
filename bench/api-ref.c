/* SPDX-License-Identifier: MIT */
/*
 * api-ref: the reference of bench/api — a minimal libfcgi responder answering every
 * request with one fixed JSON body, with nothing else in between (no login check, no
 * PostgreSQL, no routing).
 *
 *   api-ref SOCKET THREADS BODYFILE
 *
 * Listens on the unix socket SOCKET (created here, mode 0666), THREADS threads each in an
 * FCGX_Accept_r loop as flowbatch-web's request threads are, and answers 200 with
 * Content-Type application/json and the bytes of BODYFILE (read once at start).  Runs
 * until killed.  Built by bench/api with cc -lfcgi -lpthread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

struct ref {
	int sock;
	const char *body;
	size_t len;
};

static void *
serve(void *arg)
{
	const struct ref *ref = arg;
	FCGX_Request req;
	char head[160];
	int n;

	/* snprintf: FCGX_FPrintF has its own formatter, without %zu. */
	n = snprintf(head, sizeof(head), "Status: 200 OK\r\nContent-Type: application/json\r\n"
					 "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n",
	    ref->len);
	if (FCGX_InitRequest(&req, ref->sock, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, n, req.out);
		FCGX_PutStr(ref->body, (int)ref->len, req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct ref ref;
	pthread_t *th;
	FILE *f;
	char *body;
	long len;
	int i, n;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > 256) {
		fprintf(stderr, "usage: api-ref SOCKET THREADS BODYFILE\n");
		return 2;
	}
	f = fopen(argv[3], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(argv[3]);
		return 1;
	}
	body = malloc((size_t)len + 1);
	if (body == NULL || fread(body, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[3]);
		return 1;
	}
	fclose(f);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "FCGX_Init failed\n");
		return 1;
	}
	unlink(argv[1]);
	ref.sock = FCGX_OpenSocket(argv[1], 128);
	if (ref.sock < 0) {
		fprintf(stderr, "cannot listen on %s\n", argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	ref.body = body;
	ref.len = (size_t)len;
	th = calloc((size_t)n, sizeof(*th));
	if (th == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, serve, &ref) != 0) {
			fprintf(stderr, "cannot start thread %d\n", i);
			return 1;
		}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(body);
	return 0;
}
