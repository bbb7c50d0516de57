/* This replica's name in slipway_fleet: unique per container. */
#ifndef SLIPWAY_FLEET_INSTANCE_H
#define SLIPWAY_FLEET_INSTANCE_H

#include <stddef.h>

#define SW_INSTANCE_MAX 320

/* "HOSTNAME/BOOT/PIDNS/PID": the host name (a container's id or a pod's name), the first 8
 * characters of the kernel's boot id, the inode of our PID namespace and our PID. Two
 * containers sharing a host name (host networking, --uts=host) still differ by PID
 * namespace, two supervisors in one container by PID. A restarted container has a new PID
 * namespace, so a new name: its old row was deleted on the clean stop, or expires. */
void sw_instance_id(char *buf, size_t size);

#endif
