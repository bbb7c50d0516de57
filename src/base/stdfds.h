/* Keeping descriptors 0-2 occupied when slipway was started with one of them closed.
 *
 * A closed stdin, stdout or stderr would be the next descriptor open() or signalfd() returns:
 * the event loop would then own fd 0-2 (libuv asserts fd > 2 when closing it), and a log line
 * for stderr could land in a database socket. So each closed one gets a placeholder. */
#ifndef SLIPWAY_BASE_STDFDS_H
#define SLIPWAY_BASE_STDFDS_H

/* Fills every closed descriptor among 0-2 with an O_PATH descriptor of "/": reads and writes
 * on it fail with EBADF, as on a closed one, and it needs no /dev/null in the image. It is
 * close-on-exec, so whatever slipway execs (the server, a task) sees that descriptor closed,
 * exactly as slipway received it. Returns -1 with errno when a placeholder cannot be made. */
int sw_stdfds_hold(void);

#endif
