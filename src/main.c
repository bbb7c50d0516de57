/* slipway: container entrypoint. Parses the command line, loads the config, dispatches. */
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/stdfds.h"
#include "base/strays.h"
#include "base/termlog.h"
#include "config/cli.h"
#include "config/config.h"
#include "health/healthcmd.h"
#include "health/jobhealth.h"
#include "health/waitcmd.h"
#include "migrate/check.h"
#include "migrate/status.h"
#include "migrate/upgrade.h"
#include "serve/serve.h"
#include "tasks/taskcmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Docker reserves healthcheck exit codes other than 0 and 1: health never uses them. */
static int failure_code(enum sw_mode mode, int code)
{
    return mode == SW_MODE_HEALTH && code != SW_EXIT_OK ? SW_EXIT_FAIL : code;
}

/* The modes a container runs as its main process: they leave a termination message. A probe
 * (health) or a shell command (status, check) must not overwrite it. */
static int finish(enum sw_mode mode, int code)
{
    code = failure_code(mode, code);
    if (mode == SW_MODE_SERVE || mode == SW_MODE_UPGRADE || mode == SW_MODE_TASK)
        sw_termlog_write(code);
    return code;
}

/* An upgrade or task run serves health_listen while it lasts (health/jobhealth.h). */
static int run_job(const struct sw_cli *cli, const struct sw_config *cfg)
{
    struct sw_job_health jh;
    int code;

    if (cli->mode == SW_MODE_UPGRADE)
        code = sw_upgrade_main(cfg, cli, sw_job_health_watch(&jh, cfg, "upgrade running"));
    else
        code = sw_task_main(cfg, cli, sw_job_health_watch(&jh, cfg, "task running"));
    sw_job_health_free(&jh);
    return code;
}

static int run(const struct sw_cli *cli, const struct sw_config *cfg)
{
    switch (cli->mode) {
    case SW_MODE_SERVE:
        return sw_serve(cfg, cli->command);
    case SW_MODE_CHECK:
        return sw_check_main(cfg);
    case SW_MODE_HEALTH:
        return sw_health_main(cfg);
    case SW_MODE_WAIT:
        return sw_wait_main(cfg, cli);
    case SW_MODE_UPGRADE:
    case SW_MODE_TASK:
        return run_job(cli, cfg);
    case SW_MODE_STATUS:
        return sw_status_main(cfg, cli);
    default:
        sw_error("this command is not available in this build");
        return SW_EXIT_USAGE;
    }
}

int main(int argc, char **argv)
{
    struct sw_cli cli;
    struct sw_config cfg;
    sw_err err;
    int code;

    if (sw_stdfds_hold() < 0 || sw_hold_stray_signals() < 0) {
        fprintf(stderr, "slipway: cannot prepare stdio and signals: %s\n", strerror(errno));
        return SW_EXIT_FAIL;
    }
    switch (sw_cli_parse(argc, argv, &cli, &err)) {
    case SW_CLI_DONE:
        return SW_EXIT_OK;
    case SW_CLI_ERROR:
        fprintf(stderr, "slipway: %s (see slipway --help)\n", err.msg);
        return failure_code(cli.mode, SW_EXIT_USAGE);
    case SW_CLI_RUN:
        break;
    }
    /* Serve mode keeps the strays blocked for its signalfd, which forwards them. */
    if (cli.mode != SW_MODE_SERVE && sw_ignore_stray_signals() < 0) {
        fprintf(stderr, "slipway: cannot prepare signals: %s\n", strerror(errno));
        return SW_EXIT_FAIL;
    }
    sw_log_init(cli.log_format, cli.verbosity);
    if (sw_config_load(&cfg, cli.config, &err) < 0) {
        sw_error("%s", err.msg);
        return finish(cli.mode, SW_EXIT_USAGE);
    }
    code = finish(cli.mode, run(&cli, &cfg));
    sw_config_free(&cfg);
    return code;
}
