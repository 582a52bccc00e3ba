/* The report hooks (report_hooks.h). */
#include "report/report_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTIONS_MAX 32
#define FIGURES_MAX  64

int jd_report_unit_valid(const char *unit)
{
	static const char *const units[] = {"count", "percent", "score", "days", NULL};

	for (const char *const *u = units; unit != NULL && *u; u++)
		if (strcmp(unit, *u) == 0)
			return 1;
	return 0;
}

static int name_valid(const char *s, size_t max)
{
	size_t n = 0;

	for (; s != NULL && s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n > 0 && n <= max;
}

/* A figure's key is "<section>.<figure>", both parts [a-z0-9_]. */
static int key_valid(const char *section, const char *key)
{
	size_t n = strlen(section);

	return key != NULL && strncmp(key, section, n) == 0 && key[n] == '.' &&
	       name_valid(key + n + 1, 64);
}

static int section_check(const struct jd_report_section *s, size_t *n, char *err, size_t len)
{
	const struct jd_report_figure *f;

	if (s == NULL || !name_valid(s->name, 32) || s->title == NULL || s->title_zh == NULL ||
	    s->figures == NULL) {
		snprintf(err, len,
			 "a report section needs a name of [a-z0-9_], titles and figures");
		return JD_E_INVALID;
	}
	for (*n = 0, f = s->figures; f->key != NULL; f++, (*n)++) {
		if (*n >= FIGURES_MAX || !key_valid(s->name, f->key) ||
		    !jd_report_unit_valid(f->unit) || f->label == NULL || f->label_zh == NULL ||
		    f->definition == NULL) {
			snprintf(err, len,
				 "report section '%s': figure %zu needs a key '%s.<figure>', "
				 "labels, a definition and a unit (count, percent, score, days)",
				 s->name, *n + 1, s->name);
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}

int jd_report_hook_add(struct jd_report_hooks *h, const void *owner,
		       const struct jd_report_section *section, jd_report_fn fn, void *arg,
		       char *err, size_t errlen)
{
	size_t n;
	int rc;

	if (fn == NULL &&
	    (section == NULL || section->counters == NULL || section->values == NULL)) {
		snprintf(err, errlen, "a report section needs a function, or counters and values");
		return JD_E_INVALID;
	}
	if ((rc = section_check(section, &n, err, errlen)) != JD_OK)
		return rc;
	for (size_t i = 0; i < h->n; i++)
		if (h->list[i].owner == owner ||
		    strcmp(h->list[i].section->name, section->name) == 0) {
			snprintf(err, errlen, "report section '%s' is declared already",
				 section->name);
			return JD_E_CONFLICT;
		}
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 8;
		struct jd_report_hook *l;

		if (cap > SECTIONS_MAX || (l = realloc(h->list, cap * sizeof(*l))) == NULL) {
			snprintf(err, errlen, "too many report sections");
			return JD_E_NOMEM;
		}
		h->list = l;
		h->cap = cap;
	}
	h->list[h->n++] = (struct jd_report_hook){owner, section, n, fn, arg};
	return JD_OK;
}

void jd_report_hooks_forget(struct jd_report_hooks *h, const void *owner)
{
	size_t k = 0;

	for (size_t i = 0; h != NULL && i < h->n; i++)
		if (h->list[i].owner != owner)
			h->list[k++] = h->list[i];
	if (h != NULL)
		h->n = k;
}

const struct jd_report_hook *jd_report_hook_find(const struct jd_report_hooks *h, const char *name)
{
	for (size_t i = 0; h != NULL && i < h->n; i++)
		if (strcmp(h->list[i].section->name, name) == 0)
			return &h->list[i];
	return NULL;
}

void jd_report_hooks_free(struct jd_report_hooks *h)
{
	if (h == NULL)
		return;
	free(h->list);
	h->list = NULL;
	h->n = h->cap = 0;
}
