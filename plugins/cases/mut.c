/*
 * A mutation under construction: the record's fields, deletions and the
 * ops (indexes, counters) that move with them, every string copied, so a
 * step can add to it from formatted temporaries.  Out of memory is
 * remembered and reported once, by mut_submit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

struct mut *mut_new(void)
{
	return calloc(1, sizeof(struct mut));
}

void mut_free(struct mut *m)
{
	if (m == NULL)
		return;
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
static const char *own(struct mut *m, const char *s)
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

void mut_set(struct mut *m, const char *field, const char *value)
{
	const char *f = own(m, field), *v = own(m, value);

	if (m->oom || f == NULL || v == NULL)
		return;
	if (grow((void **)&m->set, &m->capset, m->nset, 3, sizeof(char *)) != 0) {
		m->oom = 1;
		return;
	}
	m->set[m->nset++] = f;
	m->set[m->nset++] = v;
}

void mut_setf(struct mut *m, const char *field, const char *fmt, ...)
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
	mut_set(m, field, v);
	free(v);
}

void mut_del(struct mut *m, const char *field)
{
	const char *f = own(m, field);

	if (m->oom || f == NULL)
		return;
	if (grow((void **)&m->del, &m->capdel, m->ndel, 2, sizeof(char *)) != 0) {
		m->oom = 1;
		return;
	}
	m->del[m->ndel++] = f;
}

void mut_op(struct mut *m, enum jd_op_kind kind, const char *key, const char *member,
	    const char *value)
{
	struct jd_op op = {kind, own(m, key), own(m, member), own(m, value)};

	if (m->oom)
		return;
	if (grow((void **)&m->ops, &m->capops, m->nops, 1, sizeof(struct jd_op)) != 0) {
		m->oom = 1;
		return;
	}
	m->ops[m->nops++] = op;
}

void mut_event(struct mut *m, const char *name, json_t *payload)
{
	const size_t max = sizeof(m->events) / sizeof(m->events[0]);

	if (payload == NULL || m->nevents == max) {
		json_decref(payload);
		m->oom = 1;
		return;
	}
	m->events[m->nevents++] = (struct jd_event_out){name, payload};
}

int mut_submit(struct mut *m, const char *tenant, const char *record, long long expect,
	       const char *idem, jd_req *req, const char *action, jd_mutate_cb cb, void *arg)
{
	const char *none[] = {NULL};

	if (m->oom) {
		if (m->cause != NULL) /* the event is finished all the same: delivered again */
			host->event_done(self, m->cause, JD_E_NOMEM);
		return JD_E_NOMEM;
	}
	if (m->set)
		m->set[m->nset] = NULL; /* grow left room for it */
	if (m->del)
		m->del[m->ndel] = NULL;
	return host->store_mutate(self,
				  &(const struct jd_mutation){.tenant = tenant,
							      .record = record,
							      .expect_version = expect,
							      .idempotency_key = idem,
							      .set = m->set ? m->set : none,
							      .del = m->del ? m->del : NULL,
							      .ops = m->ops,
							      .n_ops = m->nops,
							      .req = req,
							      .action = action,
							      .events = m->events,
							      .n_events = m->nevents,
							      .cause = m->cause},
				  cb, arg);
}
