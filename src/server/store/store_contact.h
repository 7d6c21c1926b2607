/*
 * store_contact: computers' last-contact times kept in memory and written
 * in batches. Every agent sync records its contact; writing each one at
 * once would make every sync a write transaction of its own (in the field
 * nearly every sync of an agent that syncs every few hours is one). Instead
 * a sync notes (computer, time) here, and a thread writes everything noted
 * every few seconds in one transaction on its own connection, keeping the
 * latest time per computer. On a crash the contacts noted since the last
 * flush are lost (at most a few seconds of last-contact times; nothing an
 * agent sent is); store_contacts_free() flushes what is left.
 *
 * Thread-safe: any thread may call store_contacts_note() at any time.
 */
#ifndef SLUICE_SERVER_STORE_STORE_CONTACT_H
#define SLUICE_SERVER_STORE_STORE_CONTACT_H

#include <stdint.h>

#include "err.h"

struct store_contacts;

/* Cap on computers noted between two flushes (two tables of twice as many
 * 72-byte slots, mapped as they are used). A note past it is dropped (the
 * computer's next sync notes it again) and the writer flushes at once. */
#define STORE_CONTACTS_MAX 65536

/* Open the database at target (store_open) for the writer thread and start
 * it, flushing every interval_ms milliseconds (>= 10). Free with
 * store_contacts_free(). */
int store_contacts_new(struct store_contacts **out, const char *target,
                       int interval_ms, struct err *e);

/* Note that computer_id (at most 63 bytes) made contact at time now (Unix
 * seconds). Never blocks on the database. */
void store_contacts_note(struct store_contacts *c, const char *computer_id,
                         int64_t now);

/* Write every noted contact now, in one transaction; SL_OK when there was
 * nothing to write. A failed batch is kept for the next flush. */
int store_contacts_flush(struct store_contacts *c, struct err *e);

/* Stop the thread, flush what is left (a failure is lost), close. NULL-safe. */
void store_contacts_free(struct store_contacts *c);

#endif
