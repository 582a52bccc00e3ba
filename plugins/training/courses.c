/*
 * Courses and sessions (培训).  A course ("course:<code>") has a capacity;
 * enrolment beyond it goes to the waiting list ("course:<code>:waiting",
 * first come first served), and a withdrawal moves the first waiting cadre
 * up in the same mutation.  A session gives credit hours (学时); attendance
 * is present, late, excused or absent, and present or late earn the hours
 * ("hours:<year>": cadre -> hours).  A session dated before a cadre's
 * enrolment is not theirs: marking it is refused, so it is never an absence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training.h"

static int is_trainer(struct ctx *c)
{
	const char *me = host->req_principal(c->req);

	return ctx_county_wide(c) || (me != NULL && csv_names(rec_str(c, "trainers"), me));
}

static void course_create(struct ctx *c)
{
	long long cap = in_int(c, "capacity", 0);

	if (cap < 1 || cap > 1000) {
		ctx_invalid(c, "field 'capacity': 1..1000");
		return;
	}
	host->mut_set(c->m, "name", in_str(c, "name"));
	host->mut_setf(c->m, "capacity", "%lld", cap);
	host->mut_set(c->m, "trainers", in_str(c, "trainers") ? in_str(c, "trainers") : "");
	host->mut_set(c->m, "enrolled", "0");
	host->mut_set(c->m, "sessions", "0");
	host->mut_set(c->m, "seq", "0");
	host->mut_op(c->m, JD_OP_ZADD, "courses:all", c->id, "0");
	snprintf(c->to, sizeof(c->to), "open");
	ctx_submit(c, "training.course.add", JD_VERSION_NEW, NULL);
}

void course_add(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "course");

	(void)arg;
	if (c == NULL)
		return;
	if (ctx_keyed(c, "code", "course") == 0)
		course_create(c);
}

/* A route on one course: loaded, then then(c) */
static void course_route(jd_req *req, ctx_step then)
{
	struct ctx *c = ctx_route(req, "course");

	if (c == NULL)
		return;
	ctx_load(c, then);
}

static void session_apply(struct ctx *c)
{
	long long hours = in_int(c, "hours", 0);
	long n = atol(rec_str(c, "sessions")) + 1;
	char f[32], date[11];
	jd_day d;

	if (!is_trainer(c)) {
		ctx_not_found(c);
		return;
	}
	if (host->day_parse(in_str(c, "date"), &d) != JD_OK) {
		ctx_invalid(c, "field 'date': YYYY-MM-DD");
		return;
	}
	if (hours < 1 || hours > 40) {
		ctx_invalid(c, "field 'hours': 1..40 credit hours");
		return;
	}
	host->day_format(d, date);
	snprintf(f, sizeof(f), "s.%ld", n);
	host->mut_setf(c->m, f, "%s|%lld", date, hours);
	host->mut_setf(c->m, "sessions", "%ld", n);
	snprintf(c->to, sizeof(c->to), "session %ld", n);
	ctx_submit(c, "training.course.session", c->version, NULL);
}

void session_add(jd_req *req, void *arg)
{
	(void)arg;
	course_route(req, session_apply);
}

/* ---- enrolment and the waiting list ---- */

/* Leaving: a seat taken frees for the first waiting cadre (aux: the first of the list) */
static void enrol_withdraw(struct ctx *c, const char *f, const char *had, const char *wkey,
			   const char *date)
{
	const char *first = json_string_value(json_array_get(c->aux, 0));

	if (*had == '\0') {
		ctx_conflict(c, "not_enrolled", "%s is not enrolled in course %s",
			     in_str(c, "person"), c->id);
		return;
	}
	host->mut_del(c->m, f);
	host->mut_op(c->m, JD_OP_ZREM, wkey, in_str(c, "person"), NULL);
	if (strncmp(had, "enrolled", 8) == 0 && first != NULL && ids_valid(first)) {
		char ff[80];

		snprintf(ff, sizeof(ff), "e.%s", first);
		host->mut_setf(c->m, ff, "enrolled|%s", date);
		host->mut_op(c->m, JD_OP_ZREM, wkey, first, NULL);
	} else if (strncmp(had, "enrolled", 8) == 0) {
		host->mut_setf(c->m, "enrolled", "%lld", rec_int(c, "enrolled") - 1);
	}
	snprintf(c->to, sizeof(c->to), "withdrawn");
	ctx_submit(c, "training.course.withdraw", c->version, NULL);
}

static void enrol_apply(struct ctx *c)
{
	const char *person = in_str(c, "person");
	char f[80], wkey[100], date[11], seq[24];
	const char *had;
	long long enrolled = rec_int(c, "enrolled"), s = rec_int(c, "seq") + 1;

	snprintf(f, sizeof(f), "e.%s", person);
	had = rec_str(c, f);
	snprintf(wkey, sizeof(wkey), "course:%s:waiting", c->id);
	host->day_format(c->day, date);
	if (in_bool(c, "withdraw")) {
		enrol_withdraw(c, f, had, wkey, date);
		return;
	}
	if (*had != '\0') {
		ctx_conflict(c, "already_enrolled", "%s is already %.*s in course %s", person,
			     (int)strcspn(had, "|"), had, c->id);
		return;
	}
	if (enrolled < rec_int(c, "capacity")) {
		host->mut_setf(c->m, f, "enrolled|%s", date);
		host->mut_setf(c->m, "enrolled", "%lld", enrolled + 1);
		snprintf(c->to, sizeof(c->to), "enrolled");
	} else { /* full: the waiting list, first come first served */
		host->mut_setf(c->m, f, "waiting|%s", date);
		host->mut_setf(c->m, "seq", "%lld", s);
		snprintf(seq, sizeof(seq), "%lld", s);
		host->mut_op(c->m, JD_OP_ZADD, wkey, person, seq);
		snprintf(c->to, sizeof(c->to), "waiting");
	}
	ctx_submit(c, "training.course.enrol", c->version, NULL);
}

static void enrol_waiting(struct ctx *c)
{
	char wkey[100];
	const char *argv[4] = {"ZRANGE", wkey, "0", "0"};

	if (!ids_valid(in_str(c, "person"))) {
		ctx_invalid(c, "field 'person': a person id");
		return;
	}
	if (ctx_date(c, "date", -1, "", &c->day) != 0)
		return;
	snprintf(wkey, sizeof(wkey), "course:%s:waiting", c->id);
	ctx_cmd(c, 4, argv, &c->aux, enrol_apply);
}

void course_enrol(jd_req *req, void *arg)
{
	(void)arg;
	course_route(req, enrol_waiting);
}

/* ---- attendance and hours ---- */

/* "present", "late" or a stored "present|<unit>", "late|<unit>" */
static int counts(const char *mark)
{
	return strncmp(mark, "present", 7) == 0 || strncmp(mark, "late", 4) == 0;
}

static void attend_apply(struct ctx *c)
{
	long n = (long)in_int(c, "session", 0);
	const char *person = in_str(c, "person"), *mark = in_str(c, "mark");
	char f[100], hkey[32], ds[11], by[24];
	const char *s, *e, *old;
	jd_day sd, ed;
	long long hours;
	const json_t *p = org_person(c->org, person);
	int delta;

	snprintf(f, sizeof(f), "s.%ld", n);
	s = rec_str(c, f);
	if (*s == '\0') {
		ctx_invalid(c, "field 'session': course %s has sessions 1..%lld", c->id,
			    rec_int(c, "sessions"));
		return;
	}
	snprintf(ds, sizeof(ds), "%.10s", s);
	hours = atoll(s + 11);
	snprintf(f, sizeof(f), "e.%s", person);
	e = rec_str(c, f);
	if (strncmp(e, "enrolled|", 9) != 0) {
		ctx_conflict(c, "not_enrolled", "%s is not enrolled in course %s", person, c->id);
		return;
	}
	if (host->day_parse(ds, &sd) != JD_OK || host->day_parse(e + 9, &ed) != JD_OK) {
		ctx_fail(c, JD_ERR);
		return;
	}
	if (sd < ed) {
		ctx_conflict(c, "before_enrolment",
			     "session %ld (%s) is before %s enrolled (%s): not theirs to attend", n,
			     ds, person, e + 9);
		return;
	}
	snprintf(f, sizeof(f), "a.%ld.%s", n, person);
	old = rec_str(c, f);
	delta = counts(mark) - (*old && counts(old));
	/* the unit as of the mark, so a recount counts the hours where they were counted */
	host->mut_setf(c->m, f, "%s|%s", mark, obj_str(p, "unit"));
	if (delta != 0) {
		snprintf(hkey, sizeof(hkey), "hours:%d", host->day_year(sd));
		snprintf(by, sizeof(by), "%lld", hours * delta);
		host->mut_op(c->m, JD_OP_HINCRBY, hkey, person, by);
		cnt_hours(c->m, obj_str(p, "unit"), sd, hours, delta);
	}
	snprintf(c->to, sizeof(c->to), "%s", mark);
	ctx_submit(c, "training.course.attend", c->version, NULL);
}

static void attend_check(struct ctx *c)
{
	const char *mark = in_str(c, "mark");

	if (!is_trainer(c)) {
		ctx_not_found(c);
		return;
	}
	if (mark == NULL || (strcmp(mark, "present") != 0 && strcmp(mark, "late") != 0 &&
			     strcmp(mark, "excused") != 0 && strcmp(mark, "absent") != 0)) {
		ctx_invalid(c, "field 'mark': present, late, excused or absent");
		return;
	}
	if (!ids_valid(in_str(c, "person"))) {
		ctx_invalid(c, "field 'person': a person id");
		return;
	}
	ctx_org(c, attend_apply);
}

void course_attend(jd_req *req, void *arg)
{
	(void)arg;
	course_route(req, attend_check);
}

static void show_answer(struct ctx *c)
{
	json_t *o = json_object(), *enrolled = json_array(), *waiting = json_array();
	const char *k;
	json_t *v;

	if (!is_trainer(c)) {
		json_decref(o);
		json_decref(enrolled);
		json_decref(waiting);
		ctx_not_found(c);
		return;
	}
	json_object_foreach(c->rec, k, v)
	{
		const char *s = json_string_value(v);

		if (strncmp(k, "e.", 2) == 0 && s != NULL)
			json_array_append_new(strncmp(s, "enrolled", 8) == 0 ? enrolled : waiting,
					      json_pack("{s:s, s:s}", "person", k + 2, "since",
							strchr(s, '|') ? strchr(s, '|') + 1 : ""));
		else if (k[0] != '_' && strncmp(k, "a.", 2) != 0)
			json_object_set(o, k, v);
	}
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "enrolled_list", enrolled);
	json_object_set_new(o, "waiting_list", waiting);
	ctx_reply(c, 200, o);
}

void course_show(jd_req *req, void *arg)
{
	(void)arg;
	course_route(req, show_answer);
}

/* ---- hours for the year ---- */

static void hours_answer(struct ctx *c)
{
	long long need = config_int("hours_required", 40);
	const char *one = in_str(c, "person");
	json_t *list = json_array();
	long long total = 0, meeting = 0;
	const char *id;
	json_t *p;

	if (!ctx_county_wide(c) && (one == NULL || !*c->who || strcmp(one, c->who) != 0)) {
		json_decref(list);
		host->reply_error(c->req, 403, "forbidden",
				  "a cadre sees their own hours (--person), leaders the county's");
		ctx_free(c);
		return;
	}
	json_object_foreach(json_object_get(c->org, "people"), id, p)
	{
		long long h = atoll(obj_str(c->aux, id));

		if (strcmp(obj_str(p, "status"), "retired") == 0 ||
		    (one != NULL && strcmp(one, id) != 0))
			continue;
		total++;
		meeting += h >= need;
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:b}", "person", id, "name",
						      obj_str(p, "name"), "hours", (json_int_t)h,
						      "meets", h >= need));
	}
	ctx_reply(c, 200,
		  json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "tenant", c->tenant, "year",
			    (json_int_t)c->n, "required", (json_int_t)need, "cadres",
			    (json_int_t)total, "meeting", (json_int_t)meeting, "hours", list));
}

static void hours_read(struct ctx *c)
{
	char key[32];

	snprintf(key, sizeof(key), "hours:%ld", c->n);
	ctx_read(c, key, &c->aux, hours_answer);
}

static void hours_org(struct ctx *c)
{
	ctx_org(c, hours_read);
}

void hours_get(jd_req *req, void *arg)
{
	struct ctx *c = ctx_route(req, "hours");

	(void)arg;
	if (c == NULL)
		return;
	c->n = (long)in_int(c, "year", host->day_year(host->day_today()));
	if (c->n < 2000 || c->n > 2100) {
		ctx_invalid(c, "field 'year': 2000..2100");
		return;
	}
	ctx_whoami(c, hours_org);
}
