/*
 * Review work per person (审理): facts confirmed or not (事实认定),
 * evidence sufficient or not, procedure lawful or not, the
 * characterization (定性), and the proposed party and government
 * sanctions and four-forms class.  Where the panel departs from the
 * investigators' characterization or sanction, a reason is required and
 * the change is kept and counted at completion.
 *
 * A review talk (审理谈话) with each person is recorded, its notes sealed,
 * before a sanction is proposed for them, unless a leader waives it with a
 * reason (audited as review.talk.waive).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"

static const char *const party_sanctions[] = {
    "none",	 "warning", "serious_warning", "removal_from_party_post", "probation",
    "expulsion", NULL};
static const char *const gov_sanctions[] = {"none",	"warning",   "demerit",	  "major_demerit",
					    "demotion", "dismissal", "expulsion", NULL};
static const char *const heavy[] = {
    "removal_from_party_post", "probation", "expulsion", "demotion", "dismissal", NULL};

static int one_of(const char *v, const char *const *list)
{
	for (; v != NULL && *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

int sanctioned(const char *party, const char *gov)
{
	return (party && party[0] && strcmp(party, "none") != 0) ||
	       (gov && gov[0] && strcmp(gov, "none") != 0);
}

int sanction_valid(const char *party, const char *gov, const char **form, char *err, size_t len)
{
	static const char *const forms[] = {"f1", "f2", "f3", "f4", NULL};

	if (!one_of(party, party_sanctions)) {
		snprintf(err, len,
			 "field 'party': '%.40s' is not a party sanction (none, warning, "
			 "serious_warning, removal_from_party_post, probation, expulsion)",
			 party ? party : "");
		return -1;
	}
	if (!one_of(gov, gov_sanctions)) {
		snprintf(err, len,
			 "field 'government': '%.40s' is not a government sanction (none, warning, "
			 "demerit, major_demerit, demotion, dismissal, expulsion)",
			 gov ? gov : "");
		return -1;
	}
	if (*form == NULL || (*form)[0] == '\0')
		*form = !sanctioned(party, gov)			     ? "f1"
			: one_of(party, heavy) || one_of(gov, heavy) ? "f3"
								     : "f2";
	else if (!one_of(*form, forms)) {
		snprintf(err, len, "field 'form': '%.8s' is not one of the four forms (f1..f4)",
			 *form);
		return -1;
	}
	return 0;
}

/* The person's number, checked against the record's persons; 0 or -1 (replied). */
static int person_of(struct rctx *c, long long *n)
{
	char s[24];

	*n = in_int(c, "person", 0);
	snprintf(s, sizeof(s), "%lld", *n);
	if (!csv_names(rec_str(c, "persons"), s)) {
		rctx_invalid(c, "field 'person': review %s is about persons %s", c->id,
			     rec_str(c, "persons")[0] ? rec_str(c, "persons") : "(none)");
		return -1;
	}
	return 0;
}

static int choice(struct rctx *c, const char *name, const char *a, const char *b)
{
	const char *v = in_str(c, name);

	if (v != NULL && (strcmp(v, a) == 0 || strcmp(v, b) == 0))
		return 0;
	rctx_invalid(c, "field '%s': %s or %s", name, a, b);
	return -1;
}

/* 0 when the person had a talk or a waiver; otherwise 409 and -1. */
static int talk_done(struct rctx *c, long long n)
{
	char talk[32], waived[40];

	snprintf(talk, sizeof(talk), "talk.%lld", n);
	snprintf(waived, sizeof(waived), "talk_waived.%lld", n);
	if (rec_str(c, talk)[0] || rec_str(c, waived)[0])
		return 0;
	rctx_conflict(c, "talk_required",
		      "review %s: person %lld has had no review talk (审理谈话); record it "
		      "(review reviews talk) or have a leader waive it (review reviews "
		      "talk-waive) before a sanction is proposed",
		      c->id, n);
	return -1;
}

/* What the panel changed against the investigators' proposal: bits 1 characterization, 2
 * sanction. */
static int changes(struct rctx *c, long long n, const char *ch, const char *party, const char *gov)
{
	char field[32];
	json_t *p;
	int bits = 0;

	snprintf(field, sizeof(field), "proposal.%lld", n);
	if ((p = rec_json(c, field)) == NULL)
		return 0;
	if (strcmp(jstr(p, "characterization", ""), ch) != 0)
		bits |= 1;
	if (strcmp(jstr(p, "party", "none"), party) != 0 ||
	    strcmp(jstr(p, "government", "none"), gov) != 0)
		bits |= 2;
	json_decref(p);
	return bits;
}

static void work_loaded(struct rctx *c)
{
	const char *party = in_str(c, "party") ? in_str(c, "party") : "none";
	const char *gov = in_str(c, "government") ? in_str(c, "government") : "none";
	const char *form = in_str(c, "form"), *ch = in_str(c, "characterization");
	const char *why = in_str(c, "change_reason");
	char err[300], field[32], date[11];
	long long n;
	int bits;
	json_t *w;
	char *text;

	if (rctx_step_ok(c, "work") != 0 || rctx_on_panel(c, 0) != 0 || person_of(c, &n) != 0 ||
	    choice(c, "facts", "confirmed", "not_confirmed") != 0 ||
	    choice(c, "evidence", "sufficient", "insufficient") != 0 ||
	    choice(c, "procedure", "lawful", "unlawful") != 0 || rctx_date(c, "acceptance") != 0)
		return;
	if (ch == NULL || ch[0] == '\0' || !ids_valid(ch, 0)) {
		rctx_invalid(c, "field 'characterization': a code of [a-z0-9_.-] (定性, e.g. "
				"integrity_discipline)");
		return;
	}
	if (sanction_valid(party, gov, &form, err, sizeof(err)) != 0) {
		rctx_invalid(c, "%s", err);
		return;
	}
	if (sanctioned(party, gov) && talk_done(c, n) != 0)
		return;
	bits = changes(c, n, ch, party, gov);
	if (bits && (why == NULL || why[0] == '\0')) {
		rctx_invalid(c,
			     "field 'change_reason': the panel departs from the investigators' %s "
			     "for person %lld: say why",
			     bits == 1	 ? "characterization"
			     : bits == 2 ? "sanction"
					 : "findings",
			     n);
		return;
	}
	host->day_format(c->day, date);
	w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "facts",
		      in_str(c, "facts"), "evidence", in_str(c, "evidence"), "procedure",
		      in_str(c, "procedure"), "characterization", ch, "party", party, "government",
		      gov, "form", form, "by", host->req_principal(c->req), "date", date,
		      "changed_characterization", (bits & 1) != 0, "changed_sanction",
		      (bits & 2) != 0, "change_reason", why ? why : "");
	text = w ? json_dumps(w, JSON_COMPACT) : NULL;
	json_decref(w);
	if (text == NULL) {
		rctx_fail(c, JD_E_NOMEM);
		return;
	}
	snprintf(field, sizeof(field), "work.%lld", n);
	host->mut_set(c->m, field, text);
	free(text);
	rctx_submit(c, "review.work.record");
}

void work_record(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, work_loaded);
}

/* ---- review talks --------------------------------------------------------------------- */

static void talk_keyed(struct rctx *c)
{
	long long n = in_int(c, "person", 0);
	char field[32], date[11];
	char *sealed;

	snprintf(field, sizeof(field), "talk.%lld", n);
	sealed = host->seal(self, c->tenant, "review", c->id, field, in_str(c, "notes"));
	if (sealed == NULL) {
		rctx_fail(c, errno == ENOMEM ? JD_E_NOMEM : JD_ERR);
		return;
	}
	host->mut_set(c->m, field, sealed);
	free(sealed);
	host->day_format(c->day, date);
	snprintf(field, sizeof(field), "talk_date.%lld", n);
	host->mut_set(c->m, field, date);
	snprintf(field, sizeof(field), "talk_by.%lld", n);
	host->mut_set(c->m, field, host->req_principal(c->req));
	rctx_submit(c, "review.talk.record");
}

static void talk_loaded(struct rctx *c)
{
	long long n;

	if (rctx_step_ok(c, "talk") != 0 || rctx_on_panel(c, 0) != 0 || person_of(c, &n) != 0 ||
	    rctx_date(c, "acceptance") != 0)
		return;
	if (in_str(c, "notes") == NULL || in_str(c, "notes")[0] == '\0') {
		rctx_invalid(c, "field 'notes': the talk's notes (sealed)");
		return;
	}
	rctx_keys(c, talk_keyed);
}

void work_talk(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, talk_loaded);
}

static void waive_loaded(struct rctx *c)
{
	const char *reason = in_str(c, "reason");
	char field[40], date[11];
	json_t *w;
	char *text;
	long long n;

	if (rctx_step_ok(c, "talk") != 0 || person_of(c, &n) != 0 ||
	    rctx_date(c, "acceptance") != 0)
		return;
	if (reason == NULL || reason[0] == '\0') {
		rctx_invalid(c, "field 'reason': why the review talk is waived (audited)");
		return;
	}
	host->day_format(c->day, date);
	w = json_pack("{s:s, s:s, s:s}", "by", host->req_principal(c->req), "reason", reason,
		      "date", date);
	text = w ? json_dumps(w, JSON_COMPACT) : NULL;
	json_decref(w);
	if (text == NULL) {
		rctx_fail(c, JD_E_NOMEM);
		return;
	}
	snprintf(field, sizeof(field), "talk_waived.%lld", n);
	host->mut_set(c->m, field, text);
	free(text);
	rctx_submit(c, "review.talk.waive");
}

void work_talk_waive(jd_req *req, void *arg)
{
	(void)arg;
	rctx_route(req, NULL, waive_loaded);
}
