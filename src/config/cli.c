#include "config/cli.h"

#include "base/closest.h"
#include "base/duration.h"
#include "config/config.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: slipway [OPTIONS] [--] [COMMAND [ARG...]]   serve COMMAND (or [serve] command)\n"
    "       slipway [OPTIONS] --upgrade [--repair-checksums] [--force-contract]\n"
    "                                                    apply migrations and tasks once\n"
    "       slipway [OPTIONS] health                     exit 0 healthy, 1 unhealthy\n"
    "       slipway [OPTIONS] status [--json]            versions, migrations, tasks, lock\n"
    "       slipway [OPTIONS] wait [--timeout DURATION]  block until healthy\n"
    "       slipway [OPTIONS] check                      validate config and migrations offline\n"
    "       slipway [OPTIONS] task NAME [--rerun]        run one task now\n"
    "       slipway --version | --help\n"
    "\n"
    "options:\n"
    "  -c, --config FILE     config file (default $SLIPWAY_CONFIG, else " SW_DEFAULT_CONFIG ")\n"
    "  --log-format FORMAT   text (default) or json\n"
    "  -v, -q                more or less output\n"
    "\n"
    "SLIPWAY_UPGRADE=1 in the environment means --upgrade.\n";

struct parser {
    int argc, i;
    char **argv;
    struct sw_cli *cli;
    sw_err *err;
};

static const char *option_value(struct parser *p, const char *opt)
{
    const char *arg = p->argv[p->i];
    size_t n = strlen(opt);

    if (strncmp(arg, opt, n) == 0 && arg[n] == '=')
        return arg + n + 1;
    if (p->i + 1 >= p->argc) {
        sw_err_set(p->err, "%s needs a value", opt);
        return NULL;
    }
    return p->argv[++p->i];
}

static bool is_opt(const char *arg, const char *opt)
{
    size_t n = strlen(opt);
    return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || (opt[1] == '-' && arg[n] == '='));
}

/* Options valid before and after a subcommand; returns 1 when arg was one, 0 when not,
 * -1 on error. */
static int global_option(struct parser *p)
{
    const char *arg = p->argv[p->i], *v;

    if (is_opt(arg, "-c") || is_opt(arg, "--config")) {
        v = option_value(p, arg[1] == 'c' ? "-c" : "--config");
        p->cli->config = v;
        return v ? 1 : -1;
    }
    if (is_opt(arg, "--log-format")) {
        v = option_value(p, "--log-format");
        if (v && sw_log_parse_format(v, &p->cli->log_format) == 0)
            return 1;
        if (v)
            sw_err_set(p->err, "--log-format: '%s' is not text or json", v);
        return -1;
    }
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "-q") == 0) {
        p->cli->verbosity = arg[1] == 'v' ? 1 : -1;
        return 1;
    }
    return 0;
}

static int sub_options(struct parser *p)
{
    struct sw_cli *cli = p->cli;

    for (p->i++; p->i < p->argc; p->i++) {
        const char *arg = p->argv[p->i];
        int g = global_option(p);
        if (g != 0) {
            if (g < 0)
                return -1;
            continue;
        }
        if (cli->mode == SW_MODE_STATUS && strcmp(arg, "--json") == 0) {
            cli->json = true;
        } else if (cli->mode == SW_MODE_WAIT && is_opt(arg, "--timeout")) {
            const char *v = option_value(p, "--timeout");
            if (!v)
                return -1;
            if (sw_duration_parse(v, &cli->timeout_ms) < 0) {
                sw_err_set(p->err,
                           "--timeout: bad duration '%s' (use 250ms, 10s, 5m, 1h, "
                           "0 or infinity)",
                           v);
                return -1;
            }
            cli->has_timeout = true;
        } else if (cli->mode == SW_MODE_TASK && strcmp(arg, "--rerun") == 0) {
            cli->rerun = true;
        } else if (cli->mode == SW_MODE_TASK && !cli->task && arg[0] != '-') {
            cli->task = arg;
        } else {
            sw_err_set(p->err, "unexpected argument '%s'", arg);
            return -1;
        }
    }
    if (cli->mode == SW_MODE_TASK && !cli->task) {
        sw_err_set(p->err, "task needs a NAME");
        return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    enum sw_mode mode;
} subcommands[] = {{"health", SW_MODE_HEALTH},
                   {"status", SW_MODE_STATUS},
                   {"wait", SW_MODE_WAIT},
                   {"check", SW_MODE_CHECK},
                   {"task", SW_MODE_TASK}};

/* Every option slipway knows, for the "did you mean" of an unknown one. */
static const char *const known_options[] = {
    "--upgrade", "--repair-checksums", "--config", "--log-format", "--help", "--version", "--json",
    "--rerun",   "--timeout",
};

static void unknown_option(const char *arg, sw_err *err)
{
    const char *near = sw_closest(arg, known_options,
                                  sizeof known_options / sizeof known_options[0], sizeof(char *));
    if (near)
        sw_err_set(err, "unknown option '%s' (did you mean '%s'?)", arg, near);
    else
        sw_err_set(err, "unknown option '%s' (use -- before a COMMAND that starts with -)", arg);
}

const char *sw_cli_subcommand_near(const char *word)
{
    return sw_closest(word, &subcommands[0].name, sizeof subcommands / sizeof subcommands[0],
                      sizeof subcommands[0]);
}

static int subcommand(struct parser *p)
{
    for (size_t s = 0; s < sizeof subcommands / sizeof subcommands[0]; s++) {
        if (strcmp(p->argv[p->i], subcommands[s].name) == 0) {
            p->cli->mode = subcommands[s].mode;
            return sub_options(p) < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* SLIPWAY_UPGRADE=1 is --upgrade for platforms where only the environment can be set. */
static int env_upgrade(bool *upgrade, sw_err *err)
{
    const char *v = getenv("SLIPWAY_UPGRADE");

    if (!v || !*v || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        return 0;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *upgrade = true;
        return 0;
    }
    sw_err_set(err, "SLIPWAY_UPGRADE='%s': expected 1 or 0", v);
    return -1;
}

static enum sw_cli_result finish(struct parser *p, bool upgrade, bool env_up)
{
    struct sw_cli *cli = p->cli;

    if (upgrade && cli->mode != SW_MODE_SERVE) {
        sw_err_set(p->err, "--upgrade cannot be combined with a subcommand");
        return SW_CLI_ERROR;
    }
    if (upgrade && cli->command) {
        sw_err_set(p->err, "--upgrade takes no COMMAND (got '%s')", cli->command[0]);
        return SW_CLI_ERROR;
    }
    if ((cli->repair_checksums || cli->force_contract) && !upgrade && !env_up) {
        sw_err_set(p->err, "%s only goes with --upgrade",
                   cli->repair_checksums ? "--repair-checksums" : "--force-contract");
        return SW_CLI_ERROR;
    }
    /* With SLIPWAY_UPGRADE=1 the image's CMD is still passed to us: it is replaced. */
    if (cli->mode == SW_MODE_SERVE && (upgrade || env_up)) {
        cli->mode = SW_MODE_UPGRADE;
        cli->command = NULL;
    }
    return SW_CLI_RUN;
}

enum sw_cli_result sw_cli_parse(int argc, char **argv, struct sw_cli *cli, sw_err *err)
{
    struct parser p = {.argc = argc, .argv = argv, .cli = cli, .err = err};
    bool upgrade = false, env_up = false;

    memset(cli, 0, sizeof *cli);
    for (p.i = 1; p.i < argc; p.i++) {
        const char *arg = argv[p.i];
        int r;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return SW_CLI_DONE;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("slipway %s\n", SLIPWAY_VERSION);
            return SW_CLI_DONE;
        }
        if (strcmp(arg, "--") == 0) {
            cli->command = p.i + 1 < argc ? argv + p.i + 1 : NULL;
            break;
        }
        if (strcmp(arg, "--upgrade") == 0 || strcmp(arg, "--repair-checksums") == 0 ||
            strcmp(arg, "--force-contract") == 0) {
            *(arg[2] == 'u'   ? &upgrade
              : arg[2] == 'r' ? &cli->repair_checksums
                              : &cli->force_contract) = true;
            continue;
        }
        if ((r = global_option(&p)) != 0 || (r = subcommand(&p)) != 0) {
            if (r < 0)
                return SW_CLI_ERROR;
            continue;
        }
        if (arg[0] == '-') {
            unknown_option(arg, err);
            return SW_CLI_ERROR;
        }
        cli->command = argv + p.i; /* the server's own arguments are not ours to parse */
        break;
    }
    if (env_upgrade(&env_up, err) < 0)
        return SW_CLI_ERROR;
    return finish(&p, upgrade, env_up);
}
