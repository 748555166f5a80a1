/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: http — one outbound request against a small HTTP server of its own (a child
 * process on a loopback port): the two ways a long answer ends (dropped: the status of a
 * complete transfer, which a stalled server turns into a timeout; stopped: an answer at
 * once), Retry-After, redirects not followed, what the server receives of headers, bodies
 * and methods, and the requests that are refused before they are made.
 */
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define BIG 100000 /* bytes of /big */

static char base[64]; /* "http://127.0.0.1:<port>" */

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
answer(int fd, const char *status, const char *extra, const char *body, size_t len)
{
	char head[512];

	snprintf(head, sizeof(head),
	         "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status, len,
	         extra);
	send_all(fd, head, strlen(head));
	send_all(fd, body, len);
}

/* One connection: read the request (head and Content-Length body), answer by its path. */
static void
serve(int fd)
{
	static char req[65536], big[BIG];
	size_t n = 0;
	char *end = NULL, *cl, *path;
	ssize_t r;

	while (n < sizeof(req) - 1 && (r = read(fd, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) != NULL) {
			size_t want = (size_t)(end + 4 - req);

			if ((cl = strcasestr(req, "\r\nContent-Length:")) != NULL && cl < end)
				want += strtoul(cl + 17, NULL, 10);
			if (n >= want)
				break;
		}
	}
	req[n] = '\0';
	memset(big, 'a', sizeof(big));
	if ((path = strchr(req, ' ')) == NULL)
		return;
	path++;
	if (strncmp(path, "/echo", 5) == 0) {
		answer(fd, "200 OK", "", req, n);
	} else if (strncmp(path, "/big", 4) == 0) {
		answer(fd, "200 OK", "", big, sizeof(big));
	} else if (strncmp(path, "/stall", 6) == 0) {
		/* 2,000 of 10,000 bytes, then nothing for 3 s. */
		char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n";
		struct timespec ts = {3, 0};

		send_all(fd, head, strlen(head));
		send_all(fd, big, 2000);
		nanosleep(&ts, NULL);
		send_all(fd, big, 8000);
	} else if (strncmp(path, "/busy", 5) == 0) {
		answer(fd, "503 Service Unavailable", "Retry-After: 7\r\n", "busy", 4);
	} else if (strncmp(path, "/moved", 6) == 0) {
		answer(fd, "302 Found", "Location: /big\r\n", "", 0);
	} else {
		answer(fd, "404 Not Found", "", "no", 2);
	}
}

/* The server: a child accepting connections, each served by a child of its own. */
static pid_t
server_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) < 0) {
		perror("check_http: server");
		exit(1);
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(a.sin_port));
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);
		signal(SIGCHLD, SIG_IGN); /* no zombies */
		for (;;) {
			int c = accept(s, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0) {
				serve(c);
				close(c);
				_exit(0);
			}
			close(c);
		}
	}
	close(s);
	return pid;
}

/* opts for path under base. */
static struct http_opts
opts(char *url, size_t n, const char *path, const char *method, size_t keep, enum http_rest rest)
{
	struct http_opts o = {.url = url, .method = method, .user_agent = "check-http/1",
	                      .connect_timeout_ms = 1000, .timeout_ms = 5000, .keep = keep,
	                      .rest = rest};

	snprintf(url, n, "%s%s", base, path);
	return o;
}

/* Make the request o says; its answer into a.  Caller frees with http_req_free. */
static struct http_req *
fetch(const struct http_opts *o, struct http_answer *a)
{
	struct fb_err err = {0};
	struct http_req *q = http_req_new(o, &err);

	ck_assert_ptr_nonnull(q);
	http_req_answer(q, http_req_perform(q), a);
	return q;
}

/* Bytes of the answer body libcurl read. */
static long
bytes_read(struct http_req *q)
{
	curl_off_t got = 0;

	curl_easy_getinfo(http_req_easy(q), CURLINFO_SIZE_DOWNLOAD_T, &got);
	return (long)got;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Both ways keep the first bytes and give the status; a drop reads all, a stop does not. */
START_TEST(drop_reads_on_stop_ends)
{
	char url[128];
	struct http_opts o = opts(url, sizeof(url), "/big", "GET", 2000, HTTP_REST_DROP);
	struct http_answer a;
	struct http_req *q = fetch(&o, &a);

	ck_assert_int_eq(a.answered, 1);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.len, 2000);
	ck_assert_int_eq(a.cut, 1);
	ck_assert_uint_eq(strlen(a.body), 2000);
	ck_assert_int_eq(a.retry_after_s, -1);
	ck_assert_int_eq(bytes_read(q), BIG);
	http_req_free(q);

	o.keep = 1024;
	o.rest = HTTP_REST_STOP;
	q = fetch(&o, &a);
	ck_assert_int_eq(a.answered, 1);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.len, 1024);
	ck_assert_int_eq(a.cut, 1);
	ck_assert_int_lt(bytes_read(q), BIG);
	http_req_free(q);
}
END_TEST

/* A server that stalls after the bytes kept: a stop answers at once, a drop times out. */
START_TEST(stall_after_the_bytes_kept)
{
	char url[128];
	struct http_opts o = opts(url, sizeof(url), "/stall", "GET", 1024, HTTP_REST_STOP);
	struct http_answer a;
	struct http_req *q;
	double t0 = now_s();

	o.timeout_ms = 1500;
	q = fetch(&o, &a);
	ck_assert_int_eq(a.answered, 1);
	ck_assert_int_eq(a.status, 200);
	ck_assert_uint_eq(a.len, 1024);
	ck_assert(now_s() - t0 < 1.0);
	http_req_free(q);

	o.rest = HTTP_REST_DROP;
	q = fetch(&o, &a);
	ck_assert_int_eq(a.answered, 0);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.body, "");
	ck_assert_ptr_nonnull(strstr(a.error, "imeout"));
	http_req_free(q);
}
END_TEST

START_TEST(retry_after_and_no_redirect)
{
	char url[128];
	struct http_opts o = opts(url, sizeof(url), "/busy", "POST", 100, HTTP_REST_STOP);
	struct http_answer a;
	struct http_req *q = fetch(&o, &a);

	ck_assert_int_eq(a.status, 503);
	ck_assert_int_eq(a.retry_after_s, 7);
	ck_assert_str_eq(a.body, "busy");
	ck_assert_int_eq(a.cut, 0);
	http_req_free(q);

	o = opts(url, sizeof(url), "/moved", "GET", 100, HTTP_REST_DROP);
	q = fetch(&o, &a);
	ck_assert_int_eq(a.status, 302);
	ck_assert_uint_eq(a.len, 0);
	http_req_free(q);
}
END_TEST

START_TEST(what_the_server_gets)
{
	char url[128];
	struct http_opts o = opts(url, sizeof(url), "/echo", "POST", 4000, HTTP_REST_DROP);
	struct fb_err err = {0};
	struct http_req *q;
	struct http_answer a;

	o.body = "{\"hello\":1}";
	q = http_req_new(&o, &err);
	ck_assert_int_eq(http_req_header(q, &err, "Content-Type: %s", "text/plain"), 0);
	ck_assert_int_eq(http_req_header(q, &err, "X-Id: %d", 42), 0);
	http_req_answer(q, http_req_perform(q), &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_ptr_nonnull(strstr(a.body, "POST /echo HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(a.body, "\r\nContent-Type: text/plain\r\n"));
	ck_assert_ptr_nonnull(strstr(a.body, "\r\nX-Id: 42\r\n"));
	ck_assert_ptr_nonnull(strstr(a.body, "\r\nUser-Agent: check-http/1\r\n"));
	ck_assert_ptr_nonnull(strstr(a.body, "\r\n\r\n{\"hello\":1}"));
	http_req_free(q);

	/* The body was copied: the caller's may go before the request is made. */
	{
		char *body = strdup("copied body");

		o.body = body;
		q = http_req_new(&o, &err);
		memset(body, 'x', strlen(body));
		free(body);
		http_req_answer(q, http_req_perform(q), &a);
		ck_assert_ptr_nonnull(strstr(a.body, "\r\n\r\ncopied body"));
		http_req_free(q);
	}

	o = opts(url, sizeof(url), "/echo", "GET", 4000, HTTP_REST_DROP);
	q = fetch(&o, &a);
	ck_assert_ptr_nonnull(strstr(a.body, "GET /echo HTTP/1.1\r\n"));
	ck_assert_ptr_null(strstr(a.body, "Content-Length"));
	http_req_free(q);
}
END_TEST

START_TEST(refused_before_sending)
{
	char url[128];
	struct http_opts o = opts(url, sizeof(url), "/echo", "PUT", 100, HTTP_REST_DROP);
	struct fb_err err = {0};
	struct http_req *q;
	char longv[1100];

	ck_assert_ptr_null(http_req_new(&o, &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
	o.method = "GET";
	o.url = "file:///etc/passwd";
	ck_assert_ptr_null(http_req_new(&o, &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
	o.url = "HTTPS://127.0.0.1:1/";
	q = http_req_new(&o, &err);
	ck_assert_ptr_nonnull(q);
	/* A header line that would smuggle in another header, or one too long. */
	ck_assert_int_eq(http_req_header(q, &err, "Content-Type: %s", "text/plain\r\nX-Evil: 1"),
	                 -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
	ck_assert_int_eq(http_req_header(q, &err, "X-Id: 1\n"), -1);
	fb_err_clear(&err);
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	ck_assert_int_eq(http_req_header(q, &err, "X-Long: %s", longv), -1);
	fb_err_clear(&err);
	http_req_free(q);
	http_req_free(NULL);
}
END_TEST

START_TEST(no_server)
{
	struct http_opts o = {.url = "http://127.0.0.1:1/x", .method = "POST", .body = "{}",
	                      .connect_timeout_ms = 500, .timeout_ms = 1000, .keep = 10};
	struct http_answer a;
	struct http_req *q = fetch(&o, &a);

	ck_assert_int_eq(a.answered, 0);
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(strstr(a.error, "onnect"));
	http_req_free(q);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	pid_t server;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	server = server_start();
	tcase_add_test(tc, drop_reads_on_stop_ends);
	tcase_add_test(tc, stall_after_the_bytes_kept);
	tcase_add_test(tc, retry_after_and_no_redirect);
	tcase_add_test(tc, what_the_server_gets);
	tcase_add_test(tc, refused_before_sending);
	tcase_add_test(tc, no_server);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
