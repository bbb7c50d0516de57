#include "pg/backend.h"

#include "pg/dynlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V14 140000
/* How often an idle backend running a long statement checks that slipway is still there. */
#define CHECK_CLIENT_MS "1000"
#define TERMINATE_WAIT_MS "1000"

static void settings_sql(int version, char *buf, size_t size)
{
    snprintf(buf, size, "SET idle_in_transaction_session_timeout = 0; %s",
             version >= V14 ? "SET idle_session_timeout = 0; "
                              "SET client_connection_check_interval = " CHECK_CLIENT_MS "; "
                            : "");
}

int sw_backend_setup(struct sw_db *db, struct sw_backend *b, sw_err *err)
{
    char settings[256], sql[320];
    PGresult *r;

    memset(b, 0, sizeof *b);
    b->version = sw_db_server_version(db);
    settings_sql(b->version, settings, sizeof settings);
    snprintf(sql, sizeof sql, "%sSELECT pg_backend_pid(), pg_is_in_recovery()", settings);
    snprintf(b->reset_sql, sizeof b->reset_sql,
             "RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL; %s", settings);
    r = sw_db_exec(db, sql, err);
    if (!r)
        return -1;
    b->pid = atoi(sw_pq->PQgetvalue(r, 0, 0));
    b->in_recovery = strcmp(sw_pq->PQgetvalue(r, 0, 1), "t") == 0;
    sw_pq->PQclear(r);
    return 0;
}

const char *sw_backend_reset_sql(const struct sw_backend *b)
{
    return b->reset_sql;
}

static int backend_pid(struct sw_db *db, int *pid, sw_err *err)
{
    PGresult *r = sw_db_exec(db, "SELECT pg_backend_pid()", err);

    if (!r)
        return -1;
    *pid = atoi(sw_pq->PQgetvalue(r, 0, 0));
    sw_pq->PQclear(r);
    return 0;
}

int sw_backend_pooled(struct sw_db *db, const struct sw_backend *b, struct sw_db *aux, sw_err *err)
{
    int other, again;

    if (sw_db_client_pid(db) == b->pid)
        return 0;
    if (backend_pid(aux, &other, err) < 0 || backend_pid(db, &again, err) < 0)
        return -1;
    return other == b->pid || again != b->pid;
}

int sw_backend_terminate(struct sw_db *aux, const struct sw_backend *b, sw_err *err)
{
    char pid[16];
    const char *params[] = {pid};

    snprintf(pid, sizeof pid, "%d", b->pid);
    return sw_db_commandp(aux,
                          b->version >= V14 ? "SELECT pg_terminate_backend($1, " TERMINATE_WAIT_MS
                                              ")"
                                            : "SELECT pg_terminate_backend($1)",
                          1, params, err);
}
