/*
 * store_lease: leases on named jobs, so that several front-ends on one
 * database run each scheduled job once (jobs/lease.h drives them).
 *
 * A lease is a row (name, holder, expires_at, next_due). A front-end holds
 * the job while expires_at is in the future and renews it well before;
 * when it dies, the lease expires and another front-end takes the job
 * over. next_due is the job's next scheduled run, shared by all holders.
 * Times are Unix seconds from the caller (its clock; the front-ends'
 * clocks are assumed to agree within a few seconds, as NTP gives).
 */
#ifndef SLUICE_SERVER_STORE_STORE_LEASE_H
#define SLUICE_SERVER_STORE_STORE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* Take or renew lease name for holder until expires: *got is true when
 * holder holds it afterwards (it was free, expired before now, or already
 * holder's), false when another holder's lease is still running. */
int store_lease_take(bool *got, struct store *s, const char *name,
                     const char *holder, int64_t now, int64_t expires,
                     struct err *e);

/* Give the lease up (only holder's own; no-op otherwise). */
int store_lease_release(struct store *s, const char *name, const char *holder,
                        struct err *e);

/* The job's next scheduled run (0 when it never ran or has no row). */
int store_lease_due(int64_t *out, struct store *s, const char *name,
                    struct err *e);

/* Set the next scheduled run; only while holder holds the lease (SL_EDENIED
 * when it lost it meanwhile). */
int store_lease_set_due(struct store *s, const char *name, const char *holder,
                        int64_t due, struct err *e);

/* The holder of lease name while it runs at now, into out (n bytes); ""
 * when free or expired. */
int store_lease_holder(char *out, size_t n, struct store *s, const char *name,
                       int64_t now, struct err *e);

#endif
