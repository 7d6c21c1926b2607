/*
 * pidlock: one daemon per directory. A lock file in the directory holds
 * the owner's PID under an fcntl write lock; the kernel drops the lock
 * when the process ends, however it ends, so a stale file never blocks a
 * new start. A second daemon on the same directory is refused at once with
 * a message naming the holder's PID (from the lock itself, F_GETLK).
 */
#ifndef SLUICE_PIDLOCK_H
#define SLUICE_PIDLOCK_H

#include "err.h"

struct pidlock;

/* Take DIR/NAME (created 0644 if missing) and write our PID into it.
 * SL_ECONFLICT "DIR is in use by PID N (lock DIR/NAME)" when another
 * process holds it; SL_EIO when the file cannot be opened or locked. Free
 * with pidlock_release(). */
int pidlock_acquire(struct pidlock **out, const char *dir, const char *name,
                    struct err *e);

/* Drop the lock (the file stays: removing it would race with a new
 * holder). NULL-safe. */
void pidlock_release(struct pidlock *l);

#endif
