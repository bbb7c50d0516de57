/* Migration file names (README "Migrations"): which tool's format a name is, its version, and
 * whether the tool would run it at all. Names only: no file is read. */
#ifndef SLIPWAY_MIGDIR_NAME_H
#define SLIPWAY_MIGDIR_NAME_H

#include "base/err.h"
#include "base/version.h"

enum sw_name_result {
    SW_NAME_MIGRATION = 0,  /* a migration: version filled in */
    SW_NAME_IGNORED = 1,    /* no SQL to run (README.md, .down.sql, U__ undo, dotfile): silent */
    SW_NAME_SKIPPED = 2,    /* .sql that its tool would not run either (README.sql, a Flyway
                               callback): err holds "NAME: why, skipped", to warn with */
    SW_NAME_REPEATABLE = 3, /* Flyway's R__name.sql: no version, re-run when it changes */
    SW_NAME_INVALID = -1,   /* looks like a migration but cannot be parsed: err filled in */
};

/* The tool a file was written for, from its name and markers: `check` shows it. */
enum sw_format {
    SW_FORMAT_SLIPWAY,        /* 0042_name.sql */
    SW_FORMAT_FLYWAY,         /* V1.2__name.sql, V1_2__name.sql */
    SW_FORMAT_GOLANG_MIGRATE, /* 42_name.up.sql */
    SW_FORMAT_DBMATE,         /* digits then anything, or a "-- migrate:up" section */
};

struct sw_name {
    struct sw_version version;
    enum sw_format format;
};

/* Classifies a file's base name; *out is set only for SW_NAME_MIGRATION and
 * SW_NAME_REPEATABLE. */
enum sw_name_result sw_migration_parse_name(const char *name, struct sw_name *out, sw_err *err);
/* "slipway", "flyway", "golang-migrate", "dbmate". */
const char *sw_format_name(enum sw_format f);

#endif
