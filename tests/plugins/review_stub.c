/*
 * Test-only plugin: a stand-in for the review plugin, speaking the events
 * the cases plugin expects of it (docs/cases.md, "Review").  It announces
 * itself with review.ready; on case.investigation_concluded it accepts the
 * case for review and, on the next one for the same case, returns it for
 * supplementary investigation once before completing the review: the first
 * conclusion of a case is accepted and returned, the second accepted and
 * completed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

static const struct jd_host *host;
static jd_plugin_handle *self;
static char returned[8][16]; /* cases returned once already */
static int n_returned;

static int was_returned(const char *no)
{
	for (int i = 0; i < n_returned; i++)
		if (strcmp(returned[i], no) == 0)
			return 1;
	if (n_returned < 8) {
		strncpy(returned[n_returned], no, sizeof(returned[0]) - 1);
		n_returned++;
	}
	return 0;
}

struct later {
	char tenant[16], no[16], event[24];
};

/* The review's answer comes later, as a real review does (and after the acceptance is applied). */
static void answer(void *arg)
{
	struct later *l = arg;

	host->publish(self, l->event, json_pack("{s:s, s:s}", "tenant", l->tenant, "case", l->no));
	free(l);
}

static void on_concluded(const char *name, json_t *payload, void *arg)
{
	const char *tenant = json_string_value(json_object_get(payload, "tenant"));
	const char *no = json_string_value(json_object_get(payload, "case"));
	struct later *l;

	(void)name;
	(void)arg;
	if (tenant == NULL || no == NULL || (l = calloc(1, sizeof(*l))) == NULL)
		return;
	host->publish(self, "review.accepted",
		      json_pack("{s:s, s:s}", "tenant", tenant, "case", no));
	snprintf(l->tenant, sizeof(l->tenant), "%s", tenant);
	snprintf(l->no, sizeof(l->no), "%s", no);
	snprintf(l->event, sizeof(l->event), "%s",
		 was_returned(no) ? "review.completed" : "review.returned");
	if (host->timer_add(self, 300, 0, answer, l) == 0)
		free(l);
}

static int stub_init(const struct jd_host *h, jd_plugin_handle *s)
{
	host = h;
	self = s;
	n_returned = 0;
	if (host->subscribe(self, "case.investigation_concluded", on_concluded, NULL) != JD_OK)
		return JD_ERR;
	return host->publish(self, "review.ready", json_object());
}

static void stub_fini(void)
{
}

JD_PLUGIN_DEFINE(.name = "review_stub", .version = "0.0.1",
		 .summary = "test: answers case.investigation_concluded as a review plugin would",
		 .requires = NULL, .config = NULL, .init = stub_init, .fini = stub_fini);
