/* Command line (README "Usage"). */
#ifndef SLIPWAY_CONFIG_CLI_H
#define SLIPWAY_CONFIG_CLI_H

#include "base/err.h"
#include "base/log.h"

#include <stdbool.h>
#include <stdint.h>

enum sw_mode {
    SW_MODE_SERVE,
    SW_MODE_UPGRADE,
    SW_MODE_HEALTH,
    SW_MODE_STATUS,
    SW_MODE_WAIT,
    SW_MODE_CHECK,
    SW_MODE_TASK
};

struct sw_cli {
    enum sw_mode mode;
    const char *config; /* -c FILE, or NULL */
    enum sw_log_format log_format;
    int verbosity;         /* -1 quiet, 0, 1 verbose */
    bool repair_checksums; /* --upgrade --repair-checksums */
    bool force_contract;   /* --upgrade --force-contract */
    bool json;             /* status --json */
    bool has_timeout;      /* wait --timeout */
    int64_t timeout_ms;
    const char *task; /* task NAME */
    bool rerun;       /* task NAME --rerun */
    char **command;   /* serve: COMMAND [ARG...] from the command line, or NULL */
};

enum sw_cli_result { SW_CLI_RUN = 0, SW_CLI_DONE = 1, SW_CLI_ERROR = -1 };

/* SW_CLI_DONE: --help or --version was printed. SW_CLI_ERROR: err holds a usage message. */
enum sw_cli_result sw_cli_parse(int argc, char **argv, struct sw_cli *cli, sw_err *err);
/* The subcommand a mistyped word (helth) was probably meant to be, or NULL. A word that is no
 * subcommand is a COMMAND to serve, so this is only ever a hint. */
const char *sw_cli_subcommand_near(const char *word);

#endif
