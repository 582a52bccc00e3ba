/* The organization's history (org_history.h). */
#include "org/org_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jiandu/plugin.h>

#include "org/org_codes.h"
#include "org/org_report.h"
#include "org/org_snapshot.h"
#include "org/org_tenants.h"
#include "runtime/log.h"
#include "security/auth.h"
#include "services/svc_dates.h"
#include "storage/store.h"
#include "transport/server.h"

static const char *const modes[] = {"task_force", "area", "joint_group"};
#define N_MODES (sizeof(modes) / sizeof(modes[0]))

json_t *jd_org_history_entry(const json_t *c, long long rev)
{
	return json_pack("{s:I, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rev",
			 (json_int_t)rev, "centralized", jd_snap_bool(c, "centralized"), "modes",
			 jd_snap_str(c, "modes"), "posts", (json_int_t)jd_snap_int(c, "posts"),
			 "filled", (json_int_t)jd_snap_int(c, "filled"), "agency_posts",
			 (json_int_t)jd_snap_int(c, "agency_posts"), "agency_filled",
			 (json_int_t)jd_snap_int(c, "agency_filled"), "transfers",
			 (json_int_t)jd_snap_int(c, "transfers"), "posts_moved",
			 (json_int_t)jd_snap_int(c, "posts_moved"), "leadership_moved",
			 (json_int_t)jd_snap_int(c, "leadership_moved"), "breaches",
			 (json_int_t)json_array_size(json_object_get(c, "breaches")));
}

/* "YYYY-MM" */
static int is_month(const char *s)
{
	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return 0;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

json_t *jd_org_history_of(const json_t *arr)
{
	json_t *out = jd_snap_summaries(arr);
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(out, tmp, k, v)
	{
		if (!is_month(k))
			json_object_del(out, k);
	}
	return out;
}

const json_t *jd_org_history_at(const json_t *hist, const char *month, const char **first)
{
	const char *best = NULL, *low = NULL, *k;
	json_t *v;

	json_object_foreach((json_t *)hist, k, v)
	{
		if (low == NULL || strcmp(k, low) < 0)
			low = k;
		if (strcmp(k, month) <= 0 && (best == NULL || strcmp(k, best) > 0))
			best = k;
	}
	if (first != NULL)
		*first = low;
	return best ? json_object_get(hist, best) : NULL;
}

static long long sum(const json_t *const *e, size_t n, const char *name)
{
	long long s = 0;

	for (size_t i = 0; i < n; i++)
		s += jd_snap_int(e[i], name);
	return s;
}

static json_t *modes_sum(const json_t *const *e, size_t n)
{
	json_t *o = json_object();

	for (size_t m = 0; o != NULL && m < N_MODES; m++) {
		long long k = 0;

		for (size_t i = 0; i < n; i++)
			k += jd_csv_has(jd_snap_str(e[i], "modes"), modes[m], strlen(modes[m]));
		if (json_object_set_new(o, modes[m], json_integer(k)) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *jd_org_history_sum(const json_t *const *e, size_t n)
{
	long long central = 0, moved = sum(e, n, "posts_moved");
	long long posts = sum(e, n, "posts"), filled = sum(e, n, "filled");
	long long aposts = sum(e, n, "agency_posts"), afilled = sum(e, n, "agency_filled");

	for (size_t i = 0; i < n; i++)
		central += jd_snap_bool(e[i], "centralized");
	return json_pack(
	    "{s:{s:I, s:I, s:o}, s:o, s:{s:I, s:I, s:o, s:I, s:I, s:o}, s:{s:I, s:I, s:I, s:o}, "
	    "s:{s:I}}",
	    "counties", "total", (json_int_t)n, "centralized", (json_int_t)central, "share",
	    jd_org_percent(central, (long long)n), "modes", modes_sum(e, n), "staffing", "posts",
	    (json_int_t)posts, "filled", (json_int_t)filled, "rate", jd_org_percent(filled, posts),
	    "agency_posts", (json_int_t)aposts, "agency_filled", (json_int_t)afilled, "agency_rate",
	    jd_org_percent(afilled, aposts), "transfers", "count",
	    (json_int_t)sum(e, n, "transfers"), "posts_moved", (json_int_t)moved,
	    "leadership_moved", (json_int_t)sum(e, n, "leadership_moved"), "share",
	    jd_org_percent(moved, aposts + moved), "breaches", "count",
	    (json_int_t)sum(e, n, "breaches"));
}

void jd_org_history_month(char out[8])
{
	char day[11];

	jd_day_format(jd_day_today(), day);
	memcpy(out, day, 7);
	out[7] = '\0';
}

/* ---- keeping the month's entry -------------------------------------------------------------- */

struct keep {
	char tenant[8], month[8];
};

static void on_kept(int rc, const struct jd_mutate_result *res, void *arg)
{
	struct keep *k = arg;

	(void)res;
	/* a conflict: the organization changed since; that change's refresh keeps it */
	if (rc != JD_OK && rc != JD_E_CONFLICT)
		jd_warn("org history: the month's entry was not kept (the next read keeps it)",
			"tenant=%s month=%s rc=%d", k->tenant, k->month, rc);
	free(k);
}

void jd_org_history_keep(struct jd_server *srv, const char *tenant, const json_t *hist,
			 const json_t *entry)
{
	char month[8];
	const json_t *have;
	char *text = NULL;
	struct keep *k = NULL;
	int rc = JD_E_NOMEM;

	jd_org_history_month(month);
	have = json_object_get(hist, month);
	if (srv == NULL || srv->store == NULL || entry == NULL ||
	    (have != NULL && json_equal((json_t *)have, (json_t *)entry)))
		return;
	if ((text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS)) != NULL &&
	    (k = calloc(1, sizeof(*k))) != NULL) {
		const char *set[] = {month, text, NULL};
		char rev[24];
		/* taken from that revision: a later write's own entry is never overwritten */
		struct jd_op check = {JD_OP_CHECK, JD_ORG_REV_KEY, NULL, rev};

		snprintf(rev, sizeof(rev), "%lld", jd_snap_int(entry, "rev"));

		snprintf(k->tenant, sizeof(k->tenant), "%s", tenant);
		snprintf(k->month, sizeof(k->month), "%s", month);
		rc = jd_store_mutate(srv->store,
				     &(const struct jd_mutation){.tenant = tenant,
								 .record = JD_ORG_HISTORY_KEY,
								 .expect_version = JD_VERSION_ANY,
								 .set = set,
								 .ops = &check,
								 .n_ops = 1,
								 .action = "org.history.month"},
				     on_kept, k);
	}
	if (rc != JD_OK) {
		jd_warn("org history: the month's entry could not be sent", "tenant=%s rc=%d",
			tenant, rc);
		free(k);
	}
	free(text);
}

static void on_refresh_snapshot(int rc, json_t *snap, void *arg)
{
	struct jd_server *srv = arg;
	const char *tenant = jd_snap_str(snap, "tenant");
	json_t *county, *entry;

	if (rc != JD_OK)
		return;
	county = jd_org_report_county(tenant, NULL, snap);
	entry = county ? jd_org_history_entry(county, jd_snap_int(snap, "rev")) : NULL;
	jd_org_history_keep(srv, tenant, json_object_get(snap, "history"), entry);
	json_decref(entry);
	json_decref(county);
}

void jd_org_history_refresh(struct jd_server *srv, const char *tenant)
{
	if (srv == NULL || !jd_org_code_valid(tenant))
		return;
	(void)jd_org_snapshot_read(srv, tenant, JD_SNAP_HISTORY, on_refresh_snapshot, srv);
}
