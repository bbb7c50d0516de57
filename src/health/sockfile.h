/* The health socket's file: created only where nothing of someone else's stands, removed only
 * while it is still the one this slipway created. */
#ifndef SLIPWAY_HEALTH_SOCKFILE_H
#define SLIPWAY_HEALTH_SOCKFILE_H

#include "base/err.h"

#include <stdbool.h>
#include <sys/types.h>

struct sw_sockfile {
    dev_t dev;
    ino_t ino;
    bool ours;
};

/* Makes path ready to bind: creates its directory when missing and removes a stale socket
 * (one that refuses connections: left by an earlier run). Returns -1 with err, touching
 * nothing, when path is anything but a socket (a regular file is never deleted), when a live
 * socket is there (another slipway in this container answers on it: it stays its owner's), or
 * when the directory cannot be made (err has the real errno). */
int sw_sockfile_prepare(const char *path, sw_err *err);

/* Records the socket just bound at path as ours; chmod 0666 so that the image's other users
 * may ask too (the answer is the same health line anyone could get from the database). */
int sw_sockfile_own(struct sw_sockfile *f, const char *path, sw_err *err);

/* Removes path if it is still the socket recorded by sw_sockfile_own(). */
void sw_sockfile_remove(const struct sw_sockfile *f, const char *path);

#endif
