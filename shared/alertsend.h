/* SPDX-License-Identifier: MIT */
/*
 * alertsend: the delivery of alert webhooks (alerts.webhook_urls, alert.h).
 *
 * An alert sends alert.raised once, then alert.resolved once when it resolves, to every
 * configured URL, in that order per URL, as a Standard Webhooks request signed like
 * task-center pushes (webhook.h) with alerts.webhook_secret:
 *
 *   webhook-id: alert_<id>_raised | alert_<id>_resolved   (stable: receivers drop repeats)
 *   {"type":"alert.raised"|"alert.resolved","timestamp":"...","data":{"id","rule","subject",
 *    "severity","message","params","first_seen","last_seen","resolved_at"}}
 *
 * The state lives in the alert row: due at notify_at, claimed with a lease (so that
 * several senders — runners' evaluations and web processes — never send one event at once,
 * and a sender that dies lets go by itself), the URLs that took the event in progress,
 * raised_sent / resolved_sent once every URL took it.  Any answer other than 2xx is retried,
 * 10 s doubling to 10 min, until delivered.  Nothing here keeps memory past a call.
 */
#ifndef FB_ALERTSEND_H
#define FB_ALERTSEND_H

#include "config.h"
#include "db.h"
#include "err.h"

/* Alerts handled per call at most. */
#define ALERTSEND_BATCH 20

struct alertsend_counts {
	int delivered; /* requests answered 2xx */
	int failed;    /* requests that will be retried */
};

/* Send what is due (nothing when no URL is configured).  -1 only when PostgreSQL fails. */
int alertsend_due(struct db *db, const struct fb_config *cfg, struct alertsend_counts *out,
                  struct fb_err *err) FB_MUSTCHECK;

#endif
