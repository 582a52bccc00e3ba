/* The mutation builder (svc_mut.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/svc_mut.h"
#include "storage/store.h"

_Static_assert(JD_MUT_EVENTS_MAX == JD_STORE_EVENTS_MAX, "a builder holds what one mutation takes");

struct jd_mut *jd_mut_new(void)
{
	return calloc(1, sizeof(struct jd_mut));
}

void jd_mut_free(struct jd_mut *m)
{
	if (m == NULL || m->parent != NULL) /* a child is its parent's */
		return;
	for (size_t i = 0; i < m->nkids; i++)
		free(m->kids[i]);
	free(m->kids);
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->set);
	free(m->del);
	free(m->ops);
	for (size_t i = 0; i < m->nevents; i++)
		json_decref(m->events[i].payload);
	free(m);
}

/* Grows *arr (of elem bytes) to hold n + extra elements. */
static int grow(void **arr, size_t *cap, size_t n, size_t extra, size_t elem)
{
	size_t nc;
	void *p;

	if (n + extra <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	while (nc < n + extra)
		nc *= 2;
	p = realloc(*arr, nc * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

/* A copy of s owned by m (NULL stays NULL). */
static const char *own(struct jd_mut *m, const char *s)
{
	char *c;

	if (s == NULL || m->oom)
		return NULL;
	if (grow((void **)&m->owned, &m->capowned, m->nowned, 1, sizeof(char *)) != 0 ||
	    (c = strdup(s)) == NULL) {
		m->oom = 1;
		return NULL;
	}
	m->owned[m->nowned++] = c;
	return c;
}

/* A child's field: an op on its record in the parent ("_v" and the like are the store's). */
static void child_field(struct jd_mut *c, enum jd_op_kind kind, const char *field,
			const char *value)
{
	if (field == NULL || field[0] == '\0' || field[0] == '_') {
		c->parent->bad = 1;
		return;
	}
	jd_mut_op(c->parent, kind, c->record, field, value);
}

void jd_mut_set(struct jd_mut *m, const char *field, const char *value)
{
	const char *f, *v;

	if (m->parent != NULL) {
		if (value != NULL) /* as for the main record: a NULL value sets nothing */
			child_field(m, JD_OP_HSET, field, value);
		return;
	}
	f = own(m, field);
	v = own(m, value);

	if (m->oom || f == NULL || v == NULL)
		return;
	if (grow((void **)&m->set, &m->capset, m->nset, 3, sizeof(char *)) != 0) {
		m->oom = 1;
		return;
	}
	m->set[m->nset++] = f;
	m->set[m->nset++] = v;
}

void jd_mut_setf(struct jd_mut *m, const char *field, const char *fmt, ...)
{
	char *v = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0) {
		m->oom = 1;
		return;
	}
	jd_mut_set(m, field, v);
	free(v);
}

void jd_mut_del(struct jd_mut *m, const char *field)
{
	const char *f;

	if (m->parent != NULL) {
		child_field(m, JD_OP_HDEL, field, NULL);
		return;
	}
	f = own(m, field);

	if (m->oom || f == NULL)
		return;
	if (grow((void **)&m->del, &m->capdel, m->ndel, 2, sizeof(char *)) != 0) {
		m->oom = 1;
		return;
	}
	m->del[m->ndel++] = f;
}

void jd_mut_op(struct jd_mut *m, enum jd_op_kind kind, const char *key, const char *member,
	       const char *value)
{
	struct jd_op op;

	if (m->parent != NULL)
		m = m->parent;
	op = (struct jd_op){kind, own(m, key), own(m, member), own(m, value)};
	if (m->oom)
		return;
	if (grow((void **)&m->ops, &m->capops, m->nops, 1, sizeof(struct jd_op)) != 0) {
		m->oom = 1;
		return;
	}
	m->ops[m->nops++] = op;
}

void jd_mut_fail(struct jd_mut *m)
{
	if (m != NULL)
		(m->parent ? m->parent : m)->oom = 1;
}

void jd_mut_event(struct jd_mut *m, const char *name, json_t *payload)
{
	const char *n;

	if (m == NULL) {
		json_decref(payload);
		return;
	}
	if (m->parent != NULL)
		m = m->parent;
	n = own(m, name);
	if (n == NULL || payload == NULL || m->nevents == JD_MUT_EVENTS_MAX) {
		json_decref(payload);
		m->oom = 1;
		return;
	}
	m->events[m->nevents++] = (struct jd_event_out){n, payload};
}

const struct jd_op *jd_mut_ops(const struct jd_mut *m, size_t *n)
{
	if (m != NULL && m->parent != NULL)
		m = m->parent;
	*n = m ? m->nops : 0;
	return m ? m->ops : NULL;
}

int jd_mut_fill(struct jd_mut *m, struct jd_mutation *out)
{
	static const char *const none[] = {NULL};

	if (m == NULL || m->oom)
		return JD_E_NOMEM;
	if (m->parent != NULL || m->bad)
		return JD_E_INVALID;
	if (m->set)
		m->set[m->nset] = NULL; /* grow left room for it */
	if (m->del)
		m->del[m->ndel] = NULL;
	out->set = m->set ? m->set : none;
	out->del = m->del;
	out->ops = m->ops;
	out->n_ops = m->nops;
	if (m->nevents > 0) {
		out->events = m->events;
		out->n_events = m->nevents;
	}
	return JD_OK;
}

struct jd_mut *jd_mut_record(struct jd_mut *m, const char *record, long long expect_version)
{
	struct jd_mut *c;
	char v[24];

	if (m == NULL)
		return NULL;
	if (m->parent != NULL)
		m = m->parent;
	if (record == NULL || record[0] == '\0' || expect_version < JD_VERSION_ANY) {
		m->bad = 1;
		return NULL;
	}
	if (m->oom || grow((void **)&m->kids, &m->capkids, m->nkids, 1, sizeof(*m->kids)) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		m->oom = 1;
		return NULL;
	}
	m->kids[m->nkids++] = c;
	c->parent = m;
	c->record = own(m, record);
	/* checked by the store before any write of the step, the main record's included */
	if (expect_version != JD_VERSION_ANY) {
		snprintf(v, sizeof(v), "%lld", expect_version);
		jd_mut_op(m, JD_OP_CHECK, record, NULL, v);
	}
	jd_mut_op(m, JD_OP_HINCRBY, record, "_v", "1");
	return c;
}
