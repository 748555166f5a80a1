/* SPDX-License-Identifier: MIT */
/*
 * metrics: the registry of families and series (see metrics.h).
 *
 * Memory: a struct metrics owns its families and series (and their label strings) until
 * metrics_free; a series found once stays at the same address, so that updates need no
 * lock, only atomic adds.  Lists only grow; writers append under the write lock, readers
 * walk under the read lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const double metrics_seconds_buckets[METRICS_SECONDS_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

struct series {
	char *labels;
	uint64_t value;    /* counter; gauge: the bits of a double */
	uint64_t *buckets; /* histogram: per bucket (not cumulative), then +Inf */
	uint64_t sum_ns;
	struct series *next;
};

struct family {
	const struct metric_def *def;
	struct series *head, *tail;
	struct family *next;
};

struct metrics {
	pthread_rwlock_t lk;
	struct family *head, *tail;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	pthread_rwlock_init(&m->lk, NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	struct family *f, *fn;
	struct series *s, *sn;

	if (m == NULL)
		return;
	for (f = m->head; f != NULL; f = fn) {
		fn = f->next;
		for (s = f->head; s != NULL; s = sn) {
			sn = s->next;
			free(s->labels);
			free(s->buckets);
			free(s);
		}
		free(f);
	}
	pthread_rwlock_destroy(&m->lk);
	free(m);
}

static struct family *
family_find(struct metrics *m, const struct metric_def *def)
{
	struct family *f;

	for (f = m->head; f != NULL; f = f->next)
		if (f->def == def)
			return f;
	return NULL;
}

/* Under the write lock. */
static struct family *
family_add(struct metrics *m, const struct metric_def *def)
{
	struct family *f = family_find(m, def);

	if (f != NULL)
		return f;
	f = xcalloc(1, sizeof(*f));
	f->def = def;
	if (m->tail != NULL)
		m->tail->next = f;
	else
		m->head = f;
	m->tail = f;
	return f;
}

static struct series *
series_find(const struct family *f, const char *labels)
{
	struct series *s;

	for (s = f != NULL ? f->head : NULL; s != NULL; s = s->next)
		if (strcmp(s->labels, labels) == 0)
			return s;
	return NULL;
}

static struct series *
series_get(struct metrics *m, const struct metric_def *def, const char *labels)
{
	struct series *s;
	struct family *f;

	if (labels == NULL)
		labels = "";
	pthread_rwlock_rdlock(&m->lk);
	s = series_find(family_find(m, def), labels);
	pthread_rwlock_unlock(&m->lk);
	if (s != NULL)
		return s;
	pthread_rwlock_wrlock(&m->lk);
	f = family_add(m, def);
	if ((s = series_find(f, labels)) == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->labels = xstrdup(labels);
		if (def->kind == METRIC_HISTOGRAM)
			s->buckets = xcalloc((size_t)def->nbuckets + 1, sizeof(*s->buckets));
		if (f->tail != NULL)
			f->tail->next = s;
		else
			f->head = s;
		f->tail = s;
	}
	pthread_rwlock_unlock(&m->lk);
	return s;
}

void
metrics_declare(struct metrics *m, const struct metric_def *def)
{
	pthread_rwlock_wrlock(&m->lk);
	family_add(m, def);
	pthread_rwlock_unlock(&m->lk);
}

void
metrics_add(struct metrics *m, const struct metric_def *def, const char *labels, uint64_t n)
{
	__atomic_add_fetch(&series_get(m, def, labels)->value, n, __ATOMIC_RELAXED);
}

void
metrics_set(struct metrics *m, const struct metric_def *def, const char *labels, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	__atomic_store_n(&series_get(m, def, labels)->value, bits, __ATOMIC_RELAXED);
}

void
metrics_observe(struct metrics *m, const struct metric_def *def, const char *labels, double v)
{
	struct series *s = series_get(m, def, labels);
	int i = 0;

	if (!(v >= 0)) /* negative or NaN: a clock step; count it as zero */
		v = 0;
	while (i < def->nbuckets && v > def->buckets[i])
		i++;
	__atomic_add_fetch(&s->buckets[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->sum_ns, (uint64_t)(v * 1e9), __ATOMIC_RELAXED);
}

void
metrics_label_value(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < outsz; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

void
metrics_write_value(struct buf *out, const char *name, const char *labels, double v)
{
	if (labels != NULL && labels[0] != '\0')
		buf_printf(out, "%s{%s} %.15g\n", name, labels, v);
	else
		buf_printf(out, "%s %.15g\n", name, v);
}

void
metrics_write_header(const struct metric_def *def, struct buf *out)
{
	static const char *const kinds[] = {"counter", "gauge", "histogram"};

	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help, def->name,
	           kinds[def->kind]);
}

/* "a,b" of two label lists, either possibly empty, into a buffer the caller frees. */
static char *
join_labels(const char *a, const char *b)
{
	a = a != NULL ? a : "";
	b = b != NULL ? b : "";
	return xasprintf("%s%s%s", a, a[0] && b[0] ? "," : "", b);
}

static void
write_series(const struct metric_def *def, const struct series *s, const char *extra,
             struct buf *out)
{
	char *labels = join_labels(extra, s->labels);
	uint64_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);

	if (def->kind == METRIC_COUNTER) {
		metrics_write_value(out, def->name, labels, (double)v);
	} else if (def->kind == METRIC_GAUGE) {
		double d;

		memcpy(&d, &v, sizeof(d));
		metrics_write_value(out, def->name, labels, d);
	} else {
		uint64_t cum = 0;
		int i;

		for (i = 0; i <= def->nbuckets; i++) {
			cum += __atomic_load_n(&s->buckets[i], __ATOMIC_RELAXED);
			if (i < def->nbuckets)
				buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", def->name, labels,
				           labels[0] ? "," : "", def->buckets[i], (unsigned long long)cum);
			else
				buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", def->name, labels,
				           labels[0] ? "," : "", (unsigned long long)cum);
		}
		/* The count is the +Inf bucket read above, so that the two always agree. */
		buf_printf(out, "%s_sum%s%s%s %.9f\n", def->name, labels[0] ? "{" : "", labels,
		           labels[0] ? "}" : "",
		           (double)__atomic_load_n(&s->sum_ns, __ATOMIC_RELAXED) / 1e9);
		buf_printf(out, "%s_count%s%s%s %llu\n", def->name, labels[0] ? "{" : "", labels,
		           labels[0] ? "}" : "", (unsigned long long)cum);
	}
	free(labels);
}

void
metrics_write_samples(struct metrics *m, const struct metric_def *def, const char *extra,
                      struct buf *out)
{
	const struct family *f;
	const struct series *s;

	pthread_rwlock_rdlock(&m->lk);
	f = family_find(m, def);
	for (s = f != NULL ? f->head : NULL; s != NULL; s = s->next)
		write_series(def, s, extra, out);
	pthread_rwlock_unlock(&m->lk);
}

void
metrics_write(struct metrics *m, struct buf *out)
{
	const struct family *f;
	const struct series *s;

	pthread_rwlock_rdlock(&m->lk);
	for (f = m->head; f != NULL; f = f->next) {
		metrics_write_header(f->def, out);
		for (s = f->head; s != NULL; s = s->next)
			write_series(f->def, s, NULL, out);
	}
	pthread_rwlock_unlock(&m->lk);
}
