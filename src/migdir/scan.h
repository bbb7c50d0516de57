/* Walks a migrations directory the way Flyway scans a location: recursively, every file
 * of every sub-directory. Names starting with '.' are passed over, files and directories
 * alike: dotfiles, editors' and VCS's folders, and the "..data" / "..2024_01_01_..."
 * entries through which a Kubernetes ConfigMap volume publishes its files (the files also
 * appear at the top, as links into them: scanning both would find every file twice). */
#ifndef SLIPWAY_MIGDIR_SCAN_H
#define SLIPWAY_MIGDIR_SCAN_H

#include "base/err.h"

/* Sub-directories are scanned; links to directories are not followed (Flyway does not
 * follow them either), links to files are files.
 * Called for each entry that is not a directory: dirfd is
 * its directory, base its name there, path its path below the scanned directory ("a/b.sql").
 * A non-zero return stops the walk and is returned. */
typedef int (*sw_scan_cb)(int dirfd, const char *base, const char *path, void *arg, sw_err *err);

/* 0, the callback's non-zero return, or -1 with err "migrations dir 'DIR': ...". When dir
 * itself cannot be opened, errno is left as opendir set it (ENOENT: no such directory). */
int sw_scan_dir(const char *dir, sw_scan_cb cb, void *arg, sw_err *err);

#endif
