#include "lint/rules.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONTRACT_HINT                                                                              \
    "do it in a later migration marked -- slipway:contract, once no replica needs it"

const char *const sw_lint_group_names[SW_GROUP_COUNT] = {
    [SW_GROUP_CANNOT_RUN] = "cannot-run-here",
    [SW_GROUP_BREAKS] = "breaks-previous-release",
    [SW_GROUP_LOCKS] = "locks-live-traffic",
    [SW_GROUP_NOTICE] = "not-checked",
};

const struct sw_lint_rule_def sw_lint_rules[SW_RULE_COUNT] = {
    [SW_RULE_PSQL_META] = {"psql-meta-command", SW_GROUP_CANNOT_RUN,
                           "write it as SQL: slipway sends the file to the server, not to psql"},
    [SW_RULE_NEEDS_NO_TRANSACTION] = {"needs-no-transaction", SW_GROUP_CANNOT_RUN,
                                      "move it to a file marked -- slipway:no-transaction"},
    [SW_RULE_TRANSACTION_CONTROL] = {"transaction-control", SW_GROUP_CANNOT_RUN,
                                     "remove it: slipway runs each file in one transaction of "
                                     "its own"},
    [SW_RULE_DROP_TABLE] = {"drop-table", SW_GROUP_BREAKS, CONTRACT_HINT},
    [SW_RULE_DROP_COLUMN] = {"drop-column", SW_GROUP_BREAKS, CONTRACT_HINT},
    [SW_RULE_RENAME] = {"rename", SW_GROUP_BREAKS,
                        "add the new name beside the old one; drop the old one in a later "
                        "-- slipway:contract migration"},
    [SW_RULE_COLUMN_TYPE] = {"column-type", SW_GROUP_BREAKS,
                             "add a column of the new type and backfill it; drop the old one in "
                             "a later -- slipway:contract migration"},
    [SW_RULE_SET_NOT_NULL] = {"set-not-null", SW_GROUP_BREAKS,
                              "add CHECK (col IS NOT NULL) NOT VALID now; SET NOT NULL in a "
                              "later -- slipway:contract migration"},
    [SW_RULE_ADD_NOT_NULL_COLUMN] = {"add-not-null-column", SW_GROUP_BREAKS,
                                     "give it a DEFAULT, or add it nullable and SET NOT NULL in "
                                     "a later -- slipway:contract migration"},
    [SW_RULE_DROP_DEFAULT] = {"drop-default", SW_GROUP_BREAKS, CONTRACT_HINT},
    [SW_RULE_DROP_VIEW] = {"drop-view", SW_GROUP_BREAKS, CONTRACT_HINT},
    [SW_RULE_DROP_FUNCTION] = {"drop-function", SW_GROUP_BREAKS, CONTRACT_HINT},
    [SW_RULE_INDEX_NOT_CONCURRENT] = {"index-not-concurrent", SW_GROUP_LOCKS,
                                      "CREATE INDEX CONCURRENTLY, in a file marked -- "
                                      "slipway:no-transaction"},
    [SW_RULE_CONSTRAINT_NOT_VALID] = {"constraint-not-valid", SW_GROUP_LOCKS,
                                      "add it NOT VALID, then VALIDATE CONSTRAINT in a later "
                                      "migration (that takes a weaker lock)"},
    [SW_RULE_TABLE_REWRITE] = {"table-rewrite", SW_GROUP_LOCKS,
                               "add a nullable column, fill it in batches, then switch to it"},
    [SW_RULE_LOCK_TABLE] = {"lock-table", SW_GROUP_LOCKS,
                            "let each statement take its own lock, bounded by lock_timeout"},
    [SW_RULE_VACUUM_FULL] = {"vacuum-full", SW_GROUP_LOCKS,
                             "run a plain VACUUM, or pg_repack, outside the migrations"},
    [SW_RULE_CLUSTER] = {"cluster", SW_GROUP_LOCKS,
                         "run it in a maintenance window, outside the migrations"},
    [SW_RULE_UNKNOWN_SYNTAX] = {"unknown-syntax", SW_GROUP_NOTICE,
                                "newer syntax, or an error the server will report: the server "
                                "decides"},
};

/* One statement being checked: where findings go. */
struct check {
    struct sw_lint_file *f;
    const struct sw_lint_item *it;
    sw_lint_found_fn *found;
    void *ctx;
};

static void report(const struct check *c, enum sw_lint_rule rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const struct check *c, enum sw_lint_rule rule, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->found(c->ctx, c->it, rule, msg);
}

/* ---- names --------------------------------------------------------------------------------- */

static bool empty(const char *s)
{
    return !s || !*s;
}

static const char *sval(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : "";
}

/* "schema.table" or "table". */
static const char *rv_name(const PgQuery__RangeVar *rv, char *buf, size_t size)
{
    if (!rv)
        return "?";
    if (empty(rv->schemaname))
        snprintf(buf, size, "%s", rv->relname);
    else
        snprintf(buf, size, "%s.%s", rv->schemaname, rv->relname);
    return buf;
}

/* A qualified name as a list of String nodes: "a.b.c". */
static const char *list_name(PgQuery__Node *const *items, size_t n, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "." : "", sval(items[i]));
    return buf;
}

/* The name of one DROP target: a List of Strings, or an ObjectWithArgs for routines. */
static const char *drop_target(const PgQuery__Node *obj, char *buf, size_t size)
{
    if (obj->node_case == PG_QUERY__NODE__NODE_LIST)
        return list_name(obj->list->items, obj->list->n_items, buf, size);
    if (obj->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
        return list_name(obj->object_with_args->objname, obj->object_with_args->n_objname, buf,
                         size);
    return sval(obj);
}

/* ---- tables the file created -------------------------------------------------------------- */

static int note_created(struct sw_lint_file *f, const PgQuery__RangeVar *rv)
{
    if (!rv)
        return 0;
    if (f->n_created == f->cap_created) {
        size_t cap = f->cap_created ? f->cap_created * 2 : 8;
        const PgQuery__RangeVar **items = reallocarray(f->created, cap, sizeof *items);
        if (!items)
            return -1;
        f->created = items;
        f->cap_created = cap;
    }
    f->created[f->n_created++] = rv;
    return 0;
}

/* Unqualified on either side matches any schema: lint cannot know search_path. */
static bool created_here(const struct sw_lint_file *f, const char *schema, const char *rel)
{
    for (size_t i = 0; i < f->n_created; i++) {
        const PgQuery__RangeVar *c = f->created[i];
        if (strcmp(c->relname, rel) == 0 &&
            (empty(schema) || empty(c->schemaname) || strcmp(c->schemaname, schema) == 0))
            return true;
    }
    return false;
}

static bool rv_created_here(const struct sw_lint_file *f, const PgQuery__RangeVar *rv)
{
    return rv && created_here(f, rv->schemaname, rv->relname);
}

/* ---- expressions ------------------------------------------------------------------------- */

/* Calls visit on msg and every message below it, until one visit returns true. Generic over
 * the protobuf descriptors, so no expression node kind is missed. */
static bool walk(const ProtobufCMessage *msg, bool (*visit)(const ProtobufCMessage *))
{
    if (!msg)
        return false;
    if (visit(msg))
        return true;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + fd->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)(base + fd->offset);
            for (size_t k = 0; k < n; k++)
                if (walk(items[k], visit))
                    return true;
        } else if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
                   *(const uint32_t *)(base + fd->quantifier_offset) == fd->id) {
            if (walk(*(ProtobufCMessage *const *)(base + fd->offset), visit))
                return true;
        }
    }
    return false;
}

/* Functions whose value differs per row, so a default calling one fills every existing row
 * by rewriting the table. A user's own volatile function cannot be told from the SQL. */
static bool is_volatile_call(const ProtobufCMessage *msg)
{
    static const char *const volatile_functions[] = {
        "random",           "gen_random_uuid",    "uuid_generate_v1", "uuid_generate_v1mc",
        "uuid_generate_v4", "clock_timestamp",    "timeofday",        "nextval",
        "txid_current",     "pg_current_xact_id",
    };
    const PgQuery__FuncCall *fc;

    if (strcmp(msg->descriptor->short_name, "FuncCall") != 0)
        return false;
    fc = (const PgQuery__FuncCall *)msg;
    if (fc->n_funcname == 0)
        return false;
    const char *name = sval(fc->funcname[fc->n_funcname - 1]);
    for (size_t i = 0; i < sizeof volatile_functions / sizeof *volatile_functions; i++)
        if (strcmp(name, volatile_functions[i]) == 0)
            return true;
    return false;
}

/* ---- column definitions ------------------------------------------------------------------- */

struct column {
    bool not_null, has_default, volatile_default, generated, serial;
};

static bool is_serial(const PgQuery__TypeName *t)
{
    static const char *const serials[] = {"smallserial", "serial",  "bigserial",
                                          "serial2",     "serial4", "serial8"};
    if (!t || t->n_names == 0)
        return false;
    const char *name = sval(t->names[t->n_names - 1]);
    for (size_t i = 0; i < sizeof serials / sizeof *serials; i++)
        if (strcmp(name, serials[i]) == 0)
            return true;
    return false;
}

static struct column describe_column(const PgQuery__ColumnDef *cd)
{
    struct column col = {.not_null = cd->is_not_null, .serial = is_serial(cd->type_name)};
    const PgQuery__Node *def = cd->raw_default;

    col.generated = !empty(cd->identity) || !empty(cd->generated);
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const PgQuery__Node *n = cd->constraints[i];
        if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
            continue;
        switch (n->constraint->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
        case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
            col.not_null = true;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            def = n->constraint->raw_expr;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
        case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
            col.generated = true;
            break;
        default:
            break;
        }
    }
    col.has_default = def != NULL;
    col.volatile_default = def && walk(&def->base, is_volatile_call);
    return col;
}

/* ---- statements -------------------------------------------------------------------------- */

static void check_add_column(const struct check *c, const char *table, const PgQuery__Node *def)
{
    if (!def || def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
        return;
    const PgQuery__ColumnDef *cd = def->column_def;
    struct column col = describe_column(cd);

    if (col.not_null && !col.has_default && !col.generated && !col.serial && !c->f->contract)
        report(c, SW_RULE_ADD_NOT_NULL_COLUMN,
               "adds NOT NULL column %s.%s without a default: "
               "the release before inserts rows without it",
               table, cd->colname);
    if (col.volatile_default || col.serial || col.generated)
        report(c, SW_RULE_TABLE_REWRITE,
               "adding %s column %s.%s rewrites the table under an ACCESS EXCLUSIVE lock",
               col.serial      ? "serial"
               : col.generated ? "a generated or identity"
                               : "a "
                                 "volatile-default",
               table, cd->colname);
}

static void check_add_constraint(const struct check *c, const char *table, const PgQuery__Node *def)
{
    if (!def || def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
        return;
    const PgQuery__Constraint *con = def->constraint;
    bool fk = con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;

    if ((fk || con->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) && !con->skip_validation)
        report(c, SW_RULE_CONSTRAINT_NOT_VALID,
               "adds %s constraint%s%s to %s without NOT VALID: every row is checked while "
               "writes wait",
               fk ? "FOREIGN KEY" : "CHECK", empty(con->conname) ? "" : " ",
               empty(con->conname) ? "" : con->conname, table);
}

static void check_alter_cmd(const struct check *c, const char *table,
                            const PgQuery__AlterTableCmd *cmd)
{
    bool breaks = !c->f->contract;

    switch (cmd->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
        check_add_column(c, table, cmd->def);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
        if (breaks)
            report(c, SW_RULE_DROP_COLUMN,
                   "drops column %s.%s, which the release before still reads", table, cmd->name);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (breaks)
            report(c, SW_RULE_COLUMN_TYPE,
                   "changes the type of %s.%s, which the release before reads and writes", table,
                   cmd->name);
        report(c, SW_RULE_TABLE_REWRITE,
               "changing the type of %s.%s can rewrite the table under an ACCESS EXCLUSIVE lock",
               table, cmd->name);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        if (breaks)
            report(c, SW_RULE_SET_NOT_NULL,
                   "makes %s.%s NOT NULL: the release before may still write NULL", table,
                   cmd->name);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
        if (breaks && !cmd->def)
            report(c, SW_RULE_DROP_DEFAULT,
                   "drops the default of %s.%s, which the release before relies on when it "
                   "inserts",
                   table, cmd->name);
        break;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
        check_add_constraint(c, table, cmd->def);
        break;
    default:
        break;
    }
}

static void check_alter_table(const struct check *c, const PgQuery__AlterTableStmt *s)
{
    char table[256];

    if (rv_created_here(c->f, s->relation))
        return;
    rv_name(s->relation, table, sizeof table);
    for (size_t i = 0; i < s->n_cmds; i++)
        if (s->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
            check_alter_cmd(c, table, s->cmds[i]->alter_table_cmd);
}

static void check_drop(const struct check *c, const PgQuery__DropStmt *s)
{
    enum sw_lint_rule rule;
    const char *what;
    char name[256];

    if (s->concurrent && c->f->transactional)
        report(c, SW_RULE_NEEDS_NO_TRANSACTION,
               "DROP INDEX CONCURRENTLY cannot run inside a transaction block");
    switch (s->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        rule = SW_RULE_DROP_TABLE, what = "table";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        rule = SW_RULE_DROP_VIEW, what = "view";
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
    case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
        rule = SW_RULE_DROP_FUNCTION, what = "function";
        break;
    default:
        return;
    }
    if (c->f->contract)
        return;
    for (size_t i = 0; i < s->n_objects; i++) {
        const PgQuery__Node *obj = s->objects[i];
        if (rule == SW_RULE_DROP_TABLE && obj->node_case == PG_QUERY__NODE__NODE_LIST &&
            obj->list->n_items > 0 &&
            created_here(
                c->f, obj->list->n_items > 1 ? sval(obj->list->items[obj->list->n_items - 2]) : "",
                sval(obj->list->items[obj->list->n_items - 1])))
            continue;
        report(c, rule, "drops %s %s, which the release before may still use", what,
               drop_target(obj, name, sizeof name));
    }
}

static void check_rename(const struct check *c, const PgQuery__RenameStmt *s)
{
    char table[256];

    if (c->f->contract || rv_created_here(c->f, s->relation))
        return;
    rv_name(s->relation, table, sizeof table);
    switch (s->rename_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        report(c, SW_RULE_RENAME, "renames %s to %s: the release before still uses the old name",
               table, s->newname);
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
        report(c, SW_RULE_RENAME,
               "renames column %s.%s to %s: the release before still uses the old name", table,
               s->subname, s->newname);
        break;
    default:
        break;
    }
}

static void check_index(const struct check *c, const PgQuery__IndexStmt *s)
{
    char table[256];

    if (s->concurrent && c->f->transactional)
        report(c, SW_RULE_NEEDS_NO_TRANSACTION,
               "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
    if (!s->concurrent && !rv_created_here(c->f, s->relation))
        report(c, SW_RULE_INDEX_NOT_CONCURRENT,
               "CREATE INDEX on existing table %s blocks its writes while it builds",
               rv_name(s->relation, table, sizeof table));
}

static bool def_is_true(const PgQuery__DefElem *d)
{
    static const char *const no[] = {"false", "off", "0", "no"};
    const char *v;

    if (!d->arg)
        return true;
    if (d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
        return d->arg->boolean->boolval;
    if (d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
        return d->arg->integer->ival != 0;
    v = sval(d->arg);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (strcasecmp(v, no[i]) == 0)
            return false;
    return true;
}

/* The option name given with a true value in a VACUUM/REINDEX option list. */
static bool has_option(PgQuery__Node *const *options, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            strcmp(options[i]->def_elem->defname, name) == 0 && def_is_true(options[i]->def_elem))
            return true;
    return false;
}

static void check_vacuum(const struct check *c, const PgQuery__VacuumStmt *s)
{
    if (!s->is_vacuumcmd)
        return; /* ANALYZE runs anywhere */
    if (c->f->transactional)
        report(c, SW_RULE_NEEDS_NO_TRANSACTION, "VACUUM cannot run inside a transaction block");
    if (has_option(s->options, s->n_options, "full"))
        report(c, SW_RULE_VACUUM_FULL,
               "VACUUM FULL rewrites each table under an ACCESS EXCLUSIVE lock");
}

static void check_reindex(const struct check *c, const PgQuery__ReindexStmt *s)
{
    bool concurrently = has_option(s->params, s->n_params, "concurrently");
    bool many = s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
                s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
                s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE;

    if (c->f->transactional && (concurrently || many))
        report(c, SW_RULE_NEEDS_NO_TRANSACTION, "REINDEX %scannot run inside a transaction block",
               concurrently ? "CONCURRENTLY " : "of a schema, system or database ");
}

static void check_transaction(const struct check *c, const PgQuery__TransactionStmt *s)
{
    static const char *const names[] = {
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN] = "BEGIN",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START] = "START TRANSACTION",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT] = "COMMIT",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK] = "ROLLBACK",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE] = "PREPARE TRANSACTION",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED] = "COMMIT PREPARED",
        [PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED] = "ROLLBACK PREPARED",
    };
    size_t k = (size_t)s->kind;

    /* SAVEPOINT, RELEASE and ROLLBACK TO work inside slipway's transaction */
    if (c->f->transactional && k < sizeof names / sizeof *names && names[k])
        report(c, SW_RULE_TRANSACTION_CONTROL,
               "%s in a transactional migration: slipway already runs the file in a "
               "transaction, and the history row must commit with it",
               names[k]);
}

static void check_outside_transaction_only(const struct check *c, const char *what)
{
    if (c->f->transactional)
        report(c, SW_RULE_NEEDS_NO_TRANSACTION, "%s cannot run inside a transaction block", what);
}

static void check_statement(const struct check *c, const PgQuery__Node *n)
{
    char table[256];

    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        check_alter_table(c, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        check_drop(c, n->drop_stmt);
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        check_rename(c, n->rename_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        check_index(c, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        check_vacuum(c, n->vacuum_stmt);
        break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        check_reindex(c, n->reindex_stmt);
        break;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        check_transaction(c, n->transaction_stmt);
        break;
    case PG_QUERY__NODE__NODE_LOCK_STMT:
        report(c, SW_RULE_LOCK_TABLE, "LOCK TABLE blocks traffic until the migration commits");
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        report(c, SW_RULE_CLUSTER, "CLUSTER %s rewrites it under an ACCESS EXCLUSIVE lock",
               n->cluster_stmt->relation ? rv_name(n->cluster_stmt->relation, table, sizeof table)
                                         : "(every clustered table)");
        break;
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
        check_outside_transaction_only(c, "ALTER SYSTEM");
        break;
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
        check_outside_transaction_only(c, "CREATE DATABASE");
        break;
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
        check_outside_transaction_only(c, "DROP DATABASE");
        break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
        check_outside_transaction_only(c, "CREATE TABLESPACE");
        break;
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
        check_outside_transaction_only(c, "DROP TABLESPACE");
        break;
    default:
        break;
    }
}

/* Tables this statement creates: later statements of the file may change them freely. */
static int note_creations(struct sw_lint_file *f, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        return note_created(f, n->create_stmt->relation);
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        return note_created(f, n->create_table_as_stmt->into ? n->create_table_as_stmt->into->rel
                                                             : NULL);
    default:
        return 0;
    }
}

int sw_lint_rules_check(struct sw_lint_file *f, const struct sw_lint_item *it,
                        sw_lint_found_fn *found, void *ctx)
{
    struct check c = {.f = f, .it = it, .found = found, .ctx = ctx};

    switch (it->kind) {
    case SW_ITEM_META:
        report(&c, SW_RULE_PSQL_META, "psql meta-command %s: the server does not know it",
               it->text);
        return 0;
    case SW_ITEM_UNKNOWN:
        report(&c, SW_RULE_UNKNOWN_SYNTAX, "not checked: PostgreSQL %s's parser says: %s",
               PG_MAJORVERSION, it->text);
        return 0;
    case SW_ITEM_STMT:
        check_statement(&c, it->node);
        return note_creations(f, it->node);
    }
    return 0;
}

void sw_lint_file_free(struct sw_lint_file *f)
{
    free(f->created);
    f->created = NULL;
    f->n_created = f->cap_created = 0;
}
