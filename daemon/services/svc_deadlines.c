/* Deadlines per stage, in the record's own mutation (svc_deadlines.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/plugins.h"
#include "runtime/config.h"
#include "services/svc_dates.h"
#include "services/svc_deadlines.h"
#include "services/svc_machine.h"
#include "services/svc_mut.h"
#include "transport/server.h"

int jd_config_days(jd_plugin_handle *self, const char *key, int def)
{
	const char *v =
	    self && key ? jd_config_plugin_value(self->srv->cfg, self->name, key) : NULL;
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n <= 100000 ? (int)n : def;
}

jd_day jd_deadline_due(jd_plugin_handle *self, const struct jd_machine *m, const char *state,
		       jd_day start)
{
	const struct jd_state *st = jd_machine_state(m, state);

	if (st == NULL || st->deadline_key == NULL || st->deadline_key[0] == '\0')
		return -1;
	return start + jd_config_days(self, st->deadline_key, st->deadline_days);
}

/* "<type>:<id>#<stage>" */
static void member_of(const struct jd_machine *m, const char *id, const char *stage, char *out,
		      size_t len)
{
	snprintf(out, len, "%s:%s#%s", m->type, id, stage);
}

void jd_deadline_put(const struct jd_machine *m, struct jd_mut *mut, const char *id,
		     const char *stage, jd_day due)
{
	char member[192], score[24];

	if (m == NULL || m->deadlines == NULL) {
		jd_mut_fail(mut);
		return;
	}
	member_of(m, id, stage, member, sizeof(member));
	snprintf(score, sizeof(score), "%ld", jd_day_number(due));
	jd_mut_op(mut, JD_OP_ZADD, m->deadlines->index, member, score);
	jd_mut_op(mut, JD_OP_HDEL, m->deadlines->sent, member, NULL);
}

void jd_deadline_drop(const struct jd_machine *m, struct jd_mut *mut, const char *id,
		      const char *stage)
{
	char member[192];

	if (m == NULL || m->deadlines == NULL) {
		jd_mut_fail(mut);
		return;
	}
	member_of(m, id, stage, member, sizeof(member));
	jd_mut_op(mut, JD_OP_ZREM, m->deadlines->index, member, NULL);
	jd_mut_op(mut, JD_OP_HDEL, m->deadlines->sent, member, NULL);
}

void jd_machine_move(jd_plugin_handle *self, const struct jd_machine *m, struct jd_mut *mut,
		     const char *id, const char *from, const char *to, jd_day start)
{
	char key[128], score[24], date[11];
	jd_day due;

	jd_day_format(start, date);
	jd_mut_set(mut, "state", to);
	jd_mut_set(mut, "state_since", date);
	if (from != NULL && from[0] != '\0') {
		snprintf(key, sizeof(key), "%s:state:%s", m->plural, from);
		jd_mut_op(mut, JD_OP_ZREM, key, id, NULL);
		if (m->deadlines != NULL)
			jd_deadline_drop(m, mut, id, from);
	}
	snprintf(key, sizeof(key), "%s:state:%s", m->plural, to);
	snprintf(score, sizeof(score), "%ld", jd_day_number(start));
	jd_mut_op(mut, JD_OP_ZADD, key, id, score);
	due = m->deadlines != NULL ? jd_deadline_due(self, m, to, start) : -1;
	if (due < 0) {
		jd_mut_set(mut, "due", "");
		return;
	}
	jd_deadline_put(m, mut, id, to, due);
	jd_day_format(due, date);
	jd_mut_set(mut, "due", date);
}

static const char *field(const json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v ? v : "";
}

void jd_deadline_extend(const struct jd_machine *m, struct jd_mut *mut, const json_t *rec,
			const char *id, long long days)
{
	long long ext = atoll(field(rec, "ext_days")) + days;
	jd_day due;
	char date[11];

	if (jd_day_parse(field(rec, "due"), &due) == JD_OK) {
		due += (jd_day)days;
		jd_day_format(due, date);
		jd_deadline_put(m, mut, id, field(rec, "state"), due);
		jd_mut_set(mut, "due", date);
	}
	jd_mut_setf(mut, "ext_days", "%lld", ext);
}
