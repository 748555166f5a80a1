/* SPDX-License-Identifier: MIT */
/*
 * server: accepts FastCGI requests on web.threads threads and dispatches them through
 * the router.
 *
 * Each thread owns a struct web_thread (its db and queue connections) and one arena per
 * request, freed after FCGX_Finish_r.  Stopping follows LIBNOTES: the main thread waits
 * for SIGTERM/SIGINT with sigwait, tells libfcgi to shut down, and interrupts the threads
 * blocked in accept() with SIGUSR1 until all have left.  A request in progress finishes.
 * The main thread and the request threads share two flags, both atomic: stopping (set by
 * the main thread, read by each thread before it accepts again) and each worker's done
 * (set by its thread as it leaves, read by the main thread's SIGUSR1 loop); their other
 * state is handed over by pthread_create and pthread_join.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "db.h"
#include "limiter.h"
#include "handlers/handlers.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "queue.h"
#include "rand.h"
#include "request.h"
#include "router.h"
#include "server.h"
#include "token.h"
#include "watch.h"
#include "user.h"
#include "usercache.h"

struct server {
	const struct fb_config *cfg;
	int listen_fd;
	atomic_int stopping;
	struct worker {
		struct server *srv;
		pthread_t tid;
		int started;
		atomic_int done; /* the thread has left (or never started) */
		struct web_thread thread;
	} *workers;
	int nworkers;
	struct limiter excel;
	struct metrics *metrics;
	char instance[300];
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The login of the request, into r->remote_user.  Where nginx sends the FastCGI param
 * FLOWBATCH_AUTH=token (flowbatch.conf's /api/), it is the login inside the request's
 * login token, verified here, and REMOTE_USER is not read; without that param (a site
 * whose nginx authenticates users itself), it is REMOTE_USER.  FastCGI params come from
 * nginx's configuration alone: client headers arrive as HTTP_*.
 */
static int
identify(struct request *r, struct fb_err *err)
{
	const char *mode = request_env(r, "FLOWBATCH_AUTH"), *token;
	char *login;

	if (mode == NULL || mode[0] == '\0')
		return 0;
	r->remote_user = NULL;
	if (strcmp(mode, "token") != 0) {
		fb_err_set(err, FB_EINTERNAL, "FastCGI param FLOWBATCH_AUTH: unknown mode \"%.32s\"",
		           mode);
		return -1;
	}
	if ((token = request_token(r)) == NULL) {
		fb_err_msg(err, FB_EAUTH, "auth.no_token", NULL);
		return -1;
	}
	login = arena_alloc(r->arena, TOKEN_MAX_LOGIN + 1);
	if (token_verify(r->cfg->auth_secret, token, time(NULL), login, err) < 0)
		return -1;
	r->remote_user = login;
	return 0;
}

/* Resolve the login (see identify) for routes that need it. */
static int
authenticate(struct request *r, const struct route *rt, struct fb_err *err)
{
	struct user_rec *u;
	struct db *db;
	long long now;
	int found;

	if (rt->flags == ROUTE_PUBLIC)
		return 0;
	if (identify(r, err) < 0)
		return -1;
	if (r->remote_user == NULL || r->remote_user[0] == '\0') {
		fb_err_set(err, FB_EAUTH, "not signed in");
		return -1;
	}
	u = arena_alloc(r->arena, sizeof(*u));
	now = (long long)now_ms();
	found = user_cache_get(&r->thread->users, r->remote_user, now, r->cfg->web_user_cache_ms, u);
	if (!found) {
		if ((db = request_db(r, err)) == NULL)
			return -1;
		found = user_find(db, r->remote_user, u, err);
		if (found < 0)
			return -1;
		if (found == 1)
			user_cache_put(&r->thread->users, u, now);
	}
	if (found == 0) {
		fb_err_set(err, FB_EAUTH, "user \"%.128s\" is not known to flowbatch", r->remote_user);
		return -1;
	}
	if (rt->flags == ROUTE_ADMIN && !u->is_admin) {
		fb_err_set(err, FB_EFORBIDDEN, "this needs an administrator");
		return -1;
	}
	r->user = u;
	return 0;
}

static void
serve_one(struct worker *w, FCGX_Request *fr)
{
	struct request r = {0};
	struct fb_err err = {0};
	const struct route *rt = NULL;
	const char *cl, *uri;
	double t0 = now_ms();
	int rc = -1;

	r.arena = arena_new();
	r.thread = &w->thread;
	r.cfg = w->srv->cfg;
	r.fcgi = fr;
	fb_random_hex(r.request_id, 8);
	r.method = request_env(&r, "REQUEST_METHOD");
	r.path = request_env(&r, "DOCUMENT_URI");
	if (r.path == NULL)
		r.path = request_env(&r, "SCRIPT_NAME");
	r.query = request_env(&r, "QUERY_STRING");
	r.content_type = request_env(&r, "CONTENT_TYPE");
	r.remote_user = request_env(&r, "REMOTE_USER");
	r.lang = accept_language(request_env(&r, "HTTP_ACCEPT_LANGUAGE"));
	cl = request_env(&r, "CONTENT_LENGTH");
	if (r.method == NULL || r.path == NULL) {
		fb_err_set(&err, FB_EINVAL, "request without method or path");
		goto answer;
	}
	if (cl != NULL && *cl != '\0') {
		char *end;

		errno = 0;
		r.content_length = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || r.content_length < 0) {
			fb_err_set(&err, FB_EINVAL, "bad Content-Length");
			goto answer;
		}
	}
	if (strlen(r.path) > 2048) {
		fb_err_set(&err, FB_EINVAL, "path too long");
		goto answer;
	}
	if (query_parse(r.arena, r.query, &r.params, &r.nparams, REQUEST_MAX_PARAMS, &err) < 0)
		goto answer;
	rt = router_match(router_routes, r.arena, r.method, r.path, r.path_args, &err);
	if (rt == NULL || authenticate(&r, rt, &err) < 0)
		goto answer;
	if (rt->flags != ROUTE_PUBLIC && r.content_length > 0 && strcmp(r.method, "GET") == 0) {
		fb_err_set(&err, FB_EINVAL, "GET requests take no body");
		goto answer;
	}
	rc = rt->handler(&r, &err);
answer:
	if (rc < 0 && !r.responded) {
		if (err.code == FB_OK)
			fb_err_set(&err, FB_EINTERNAL, "handler failed without a reason");
		respond_error(&r, &err);
	}
	/* A login link carries its token in the query: never into a log. */
	uri = request_redact_uri(r.arena, request_env(&r, "REQUEST_URI"));
	if (r.status >= 500)
		log_error("request failed", "request_id", LOG_STR(r.request_id), "method",
		          LOG_STR(r.method), "uri", LOG_STR(uri), "status", LOG_INT(r.status), "error",
		          LOG_STR(err.msg), "sqlstate", LOG_STR(err.sqlstate), NULL);
	log_info("request", "request_id", LOG_STR(r.request_id), "method", LOG_STR(r.method), "uri",
	         LOG_STR(uri), "user", LOG_STR(r.remote_user), "status", LOG_INT(r.status), "ms",
	         LOG_INT(now_ms() - t0), NULL);
	metrics_web_request(w->thread.metrics, rt != NULL ? rt->pattern : NULL, r.method, r.status,
	                    (now_ms() - t0) / 1e3, err.code);
	fb_err_clear(&err);
	arena_free(r.arena);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, w->srv->listen_fd, 0) != 0) {
		log_error("FCGX_InitRequest failed", NULL);
		atomic_store(&w->done, 1);
		return NULL;
	}
	while (!atomic_load(&w->srv->stopping)) {
		if (FCGX_Accept_r(&fr) < 0)
			break;
		serve_one(w, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	db_close(w->thread.db);
	queue_close(w->thread.queue);
	atomic_store(&w->done, 1);
	return NULL;
}

static void
on_usr1(int sig)
{
	(void)sig;
}

/* libfcgi reads a listen path with a ':' as host:port. */
static int
listen_is_tcp(const struct fb_config *cfg)
{
	return strchr(cfg->web_listen, ':') != NULL;
}

/*
 * A TCP listener takes connections only from web.allow (config.c refuses a TCP web.listen
 * without it).  libfcgi 2.4.2 reads the list from FCGI_WEB_SERVER_ADDRS in FCGX_Init():
 * IPv4 addresses separated by commas, compared exactly, no spaces; after accept() it
 * closes the connection of any other IPv4 peer.  So the variable is set here, from the
 * configuration only, before FCGX_Init and before any thread starts.
 */
static void
set_allowlist(const struct fb_config *cfg)
{
	char *list, *o;
	const char *p;

	if (!listen_is_tcp(cfg)) {
		unsetenv("FCGI_WEB_SERVER_ADDRS");
		return;
	}
	list = xmalloc(strlen(cfg->web_allow) + 1);
	for (p = cfg->web_allow, o = list; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t')
			*o++ = *p;
	*o = '\0';
	setenv("FCGI_WEB_SERVER_ADDRS", list, 1);
	log_info("TCP listener: connections only from web.allow", "listen",
	         LOG_STR(cfg->web_listen), "allow", LOG_STR(list), NULL);
	free(list);
}

/*
 * The unix socket goes to web.socket_group (nginx's group) with mode 0660: nginx may
 * connect, other local users may not.  A group that does not exist, or one this process
 * may not give files to, leaves the process's own group, said in the log.
 */
static int
socket_group(const struct fb_config *cfg, struct fb_err *err)
{
	const char *path = cfg->web_listen, *name = cfg->web_socket_group;
	struct group gr, *found = NULL;
	char buf[4096];
	int rc;

	if (chmod(path, 0660) < 0) {
		fb_err_set(err, FB_EIO, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (found == NULL) {
		log_warn("web.socket_group not found: the socket keeps the process's group", "group",
		         LOG_STR(name), "gid", LOG_INT(getegid()), "path", LOG_STR(path), "error",
		         LOG_STR(rc != 0 ? strerror(rc) : "no such group"), NULL);
		return 0;
	}
	if (chown(path, (uid_t)-1, found->gr_gid) < 0) {
		log_warn("cannot give the socket to web.socket_group (make it a supplementary group "
		         "of this process): the socket keeps the process's group",
		         "group", LOG_STR(name), "gid", LOG_INT(getegid()), "path", LOG_STR(path),
		         "error", LOG_STR(strerror(errno)), NULL);
		return 0;
	}
	log_info("socket ready", "path", LOG_STR(path), "mode", LOG_STR("0660"), "group",
	         LOG_STR(name), NULL);
	return 0;
}

static int
open_listener(const struct fb_config *cfg, struct fb_err *err)
{
	mode_t old;
	int fd;

	/* The unix socket is born 0660: at no moment may another local user connect. */
	old = umask(0117);
	fd = FCGX_OpenSocket(cfg->web_listen, 128);
	umask(old);
	if (fd < 0) {
		fb_err_set(err, FB_EIO, "cannot listen on %s: %s", cfg->web_listen, strerror(errno));
		return -1;
	}
	if (!listen_is_tcp(cfg) && socket_group(cfg, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
server_run(const struct fb_config *cfg, struct fb_err *err)
{
	struct server srv = {0};
	struct sigaction sa = {0};
	struct watch *watch;
	sigset_t wait_set;
	int i, sig, alive;

	set_allowlist(cfg);
	if (FCGX_Init() != 0) {
		fb_err_set(err, FB_EINTERNAL, "FCGX_Init failed");
		return -1;
	}
	/* Our SIGUSR1 only interrupts accept(); no SA_RESTART, so accept returns EINTR. */
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	srv.cfg = cfg;
	srv.listen_fd = open_listener(cfg, err);
	if (srv.listen_fd < 0)
		return -1;
	srv.nworkers = cfg->web_threads;
	limiter_init(&srv.excel, cfg->web_max_excel_requests, srv.nworkers);
	srv.workers = xcalloc((size_t)srv.nworkers, sizeof(*srv.workers));
	srv.metrics = metrics_new();
	metrics_web_declare(srv.metrics);
	{
		char host[256] = "localhost";

		gethostname(host, sizeof(host) - 1);
		snprintf(srv.instance, sizeof(srv.instance), "%s:%ld", host, (long)getpid());
	}
	for (i = 0; i < srv.nworkers; i++) {
		struct worker *w = &srv.workers[i];

		w->srv = &srv;
		w->thread.cfg = cfg;
		w->thread.index = i;
		w->thread.excel = &srv.excel;
		w->thread.metrics = srv.metrics;
		w->thread.instance = srv.instance;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			log_error("cannot start a request thread", "index", LOG_INT(i), NULL);
			atomic_store(&w->done, 1);
			continue;
		}
		w->started = 1;
	}
	watch = watch_start(cfg);
	log_info("flowbatch-web listening", "listen", LOG_STR(cfg->web_listen), "threads",
	         LOG_INT(srv.nworkers), NULL);

	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGINT);
	do {
		if (sigwait(&wait_set, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	log_info("stopping", "signal", LOG_INT(sig), NULL);
	atomic_store(&srv.stopping, 1);
	FCGX_ShutdownPending();
	do {
		struct timespec ts = {0, 50 * 1000000L};

		alive = 0;
		for (i = 0; i < srv.nworkers; i++) {
			if (srv.workers[i].started && !atomic_load(&srv.workers[i].done)) {
				alive = 1;
				pthread_kill(srv.workers[i].tid, SIGUSR1);
			}
		}
		if (alive)
			nanosleep(&ts, NULL);
	} while (alive);
	for (i = 0; i < srv.nworkers; i++)
		if (srv.workers[i].started)
			pthread_join(srv.workers[i].tid, NULL);
	watch_stop(watch);
	close(srv.listen_fd);
	if (!listen_is_tcp(cfg))
		unlink(cfg->web_listen);
	free(srv.workers);
	metrics_free(srv.metrics);
	limiter_destroy(&srv.excel);
	log_info("flowbatch-web stopped", NULL);
	return 0;
}
