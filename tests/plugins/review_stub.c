/*
 * Test-only plugin: a stand-in for the review plugin, speaking the events
 * the cases plugin expects of it (docs/cases.md, "Review").  It announces
 * itself with the notice review.ready; on the durable event
 * case.investigation_concluded it accepts the case for review
 * (review.accepted, published by the mutation that handles the event and
 * counts the case's rounds in "review_stub:<case>") and answers when the
 * test says so (POST /v1/review_stub/answer, so no test waits on a window
 * of time): the first round of a case returns it for supplementary
 * investigation (review.returned), the next completes the review
 * (review.completed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

static const struct jd_host *host;
static jd_plugin_handle *self;

struct round {
	const struct jd_event *ev; /* the conclusion being handled */
	char tenant[65], no[33], record[64], rounds[24];
};

static void round_free(struct round *r)
{
	free(r);
}

static void on_answered(int rc, const struct jd_mutate_result *res, void *arg)
{
	jd_req *req = arg;

	(void)res;
	if (rc == JD_OK)
		host->reply_json(req, 200, json_pack("{s:b}", "answered", 1));
	else
		host->reply_rc(req, rc, "review answer");
}

/* rounds read: the review's answer, a durable event of its own */
static void on_answer_rounds(int rc, json_t *result, void *arg)
{
	jd_req *req = arg;
	const char *tenant = json_string_value(json_object_get(host->req_body(req), "tenant"));
	const char *no = json_string_value(json_object_get(host->req_body(req), "case"));
	const char *rounds = json_string_value(result);
	const char *answer;
	char record[64];
	const char *set[] = {"answer", NULL, NULL};
	json_t *payload;

	if (rc != JD_OK) {
		host->reply_rc(req, rc, "review rounds");
		return;
	}
	if (rounds == NULL) {
		host->reply_error(req, 409, "not_in_review", "case %s was not accepted for review",
				  no);
		return;
	}
	answer = atol(rounds) == 1 ? "review.returned" : "review.completed";
	set[1] = answer;
	snprintf(record, sizeof(record), "review_stub:%s", no);
	payload = json_pack("{s:s, s:s}", "tenant", tenant, "case", no);
	if (payload == NULL) {
		host->reply_rc(req, JD_E_NOMEM, "review answer");
		return;
	}
	rc = host->store_mutate(
	    self,
	    &(const struct jd_mutation){.tenant = tenant,
					.record = record,
					.expect_version = JD_VERSION_ANY,
					.set = set,
					.req = req,
					.action = "review_stub.answer",
					.events = &(const struct jd_event_out){answer, payload},
					.n_events = 1},
	    on_answered, req);
	json_decref(payload);
	if (rc != JD_OK)
		host->reply_rc(req, rc, "review answer");
}

static void answer_route(jd_req *req, void *arg)
{
	const char *tenant = json_string_value(json_object_get(host->req_body(req), "tenant"));
	const char *no = json_string_value(json_object_get(host->req_body(req), "case"));
	char record[64];
	const char *argv[] = {"HGET", record, "rounds"};
	int rc;

	(void)arg;
	snprintf(record, sizeof(record), "review_stub:%s", no);
	rc = host->store_read(self, tenant, 3, argv, on_answer_rounds, req);
	if (rc != JD_OK)
		host->reply_rc(req, rc, "review rounds");
}

static void on_accepted(int rc, const struct jd_mutate_result *res, void *arg)
{
	(void)rc;
	(void)res;
	round_free(arg);
}

/* rounds read: count this one and accept the case, in the mutation that handles the event */
static void on_rounds(int rc, json_t *result, void *arg)
{
	struct round *r = arg;
	const char *prev = json_string_value(result);
	long n = prev ? atol(prev) + 1 : 1;
	const char *set[] = {"rounds", r->rounds, NULL};
	json_t *payload = json_pack("{s:s, s:s}", "tenant", r->tenant, "case", r->no);
	const struct jd_event_out events[] = {{"review.accepted", payload}};
	const struct jd_mutation m = {.tenant = r->tenant,
				      .record = r->record,
				      .expect_version = JD_VERSION_ANY,
				      .set = set,
				      .action = "review_stub.accept",
				      .events = events,
				      .n_events = 1,
				      .cause = r->ev};

	if (rc != JD_OK || payload == NULL) {
		host->event_done(self, r->ev, rc != JD_OK ? rc : JD_E_NOMEM);
		round_free(r);
		json_decref(payload);
		return;
	}
	snprintf(r->rounds, sizeof(r->rounds), "%ld", n);
	if (host->store_mutate(self, &m, on_accepted, r) != JD_OK)
		round_free(r); /* the core finished the event */
	json_decref(payload);
}

static int on_concluded(const struct jd_event *ev, void *arg)
{
	const char *no = json_string_value(json_object_get(ev->payload, "case"));
	struct round *r;
	const char *argv[] = {"HGET", NULL, "rounds"};
	int rc;

	(void)arg;
	if (no == NULL || strlen(no) > 32 || strchr(no, ' ') != NULL) {
		host->event_done(self, ev, JD_OK); /* nothing to review */
		return JD_OK;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return JD_E_NOMEM;
	r->ev = ev;
	snprintf(r->tenant, sizeof(r->tenant), "%s", ev->tenant);
	snprintf(r->no, sizeof(r->no), "%s", no);
	snprintf(r->record, sizeof(r->record), "review_stub:%s", no);
	argv[1] = r->record;
	rc = host->store_read(self, r->tenant, 3, argv, on_rounds, r);
	if (rc != JD_OK)
		round_free(r);
	return rc;
}

static const struct jd_field answer_fields[] = {
    {"tenant", JD_FIELD_STRING, 1, 64, "tenant", 0},
    {"case", JD_FIELD_STRING, 1, 32, "case number", 0},
    {NULL, 0, 0, 0, NULL, 0},
};

static const struct jd_route answer_r = {"POST",
					 "/v1/review_stub/answer",
					 "review_stub.answer",
					 "Answer the case's review now",
					 "review_stub answer",
					 answer_fields,
					 0,
					 answer_route,
					 NULL};

static const struct jd_permission permissions[] = {
    {"review_stub.answer", "Make the stand-in review answer", ""},
    {NULL, NULL, NULL},
};

static int stub_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	if (host->on_event(self, "case.investigation_concluded", on_concluded, NULL) != JD_OK ||
	    host->route_add(self, &answer_r) != JD_OK)
		return JD_ERR;
	return host->publish(self, "review.ready", json_object());
}

static void stub_fini(void)
{
}

JD_PLUGIN_DEFINE(.name = "review_stub", .version = "0.0.1",
		 .summary = "test: answers case.investigation_concluded as a review plugin would",
		 .requires = NULL, .config = NULL, .permissions = permissions, .init = stub_init,
		 .fini = stub_fini);
