/* SPDX-License-Identifier: MIT */
/*
 * metrics: in-process counters, gauges and histograms, written in the Prometheus text
 * format 0.0.4.
 *
 * A family is a static struct metric_def (name, help, kind, histogram buckets); a series is
 * a family plus a label set, given as the text between the braces ('route="/x",status="200"',
 * values escaped with metrics_label_value).  Series are created on first use and live until
 * metrics_free; updates are atomic adds on the series, so the many request or worker
 * threads never wait on each other once a series exists (a read-write lock guards only
 * the lookup).  Histogram sums are kept in nanoseconds.
 *
 * Families appear in the output in the order they were first declared or used.
 */
#ifndef FB_METRICS_H
#define FB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_def {
	const char *name;
	const char *help;
	enum metric_kind kind;
	const double *buckets; /* histograms: upper bounds, ascending, without +Inf */
	int nbuckets;
};

/* Upper bounds in seconds for latencies: 1 ms to 60 s. */
#define METRICS_SECONDS_NBUCKETS 15
extern const double metrics_seconds_buckets[METRICS_SECONDS_NBUCKETS];

struct metrics;

/* Caller frees with metrics_free. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Make a family appear (HELP and TYPE) even before it has a series. */
void metrics_declare(struct metrics *m, const struct metric_def *def);
/* Counter: add n.  Gauge: add n (may be negative through metrics_set). */
void metrics_add(struct metrics *m, const struct metric_def *def, const char *labels, uint64_t n);
/* Gauge: set to v. */
void metrics_set(struct metrics *m, const struct metric_def *def, const char *labels, double v);
/* Histogram: one observation of v seconds (or of the family's unit). */
void metrics_observe(struct metrics *m, const struct metric_def *def, const char *labels,
                     double v);

/*
 * Append the family def's samples (no HELP/TYPE lines) to out; extra (may be NULL) is a
 * label put first in every series, e.g. 'runner="h:1"'.
 */
void metrics_write_samples(struct metrics *m, const struct metric_def *def, const char *extra,
                           struct buf *out);
/* HELP and TYPE lines of a family. */
void metrics_write_header(const struct metric_def *def, struct buf *out);
/* Every family of m with its header. */
void metrics_write(struct metrics *m, struct buf *out);
/* A sample line: name{labels} value. */
void metrics_write_value(struct buf *out, const char *name, const char *labels, double v);

/* s escaped as a label value (backslash, quote, newline) into out, NUL-terminated;
 * truncated to outsz. */
void metrics_label_value(const char *s, char *out, size_t outsz);

#endif
