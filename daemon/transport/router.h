/*
 * The route registry: the core's and the plugins' routes, with their
 * permissions and input fields.  It drives dispatch, /v1/openapi.json and
 * the CLI's catalog (/v1/routes).
 */
#ifndef JD_ROUTER_H
#define JD_ROUTER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <jiandu/plugin.h>

/*
 * Core routes only, beside plugin.h's JD_ROUTE_* flags, for what
 * /v1/openapi.json says of their answers: text, not a JSON object
 * (/metrics); a 503 that is the route's own answer, not an error (not
 * ready: /readyz).
 */
#define JD_ROUTE_TEXT_ANSWER (1u << 15)
#define JD_ROUTE_503_ANSWER  (1u << 14)

#define JD_MAX_PARAMS	8
#define JD_MAX_SEGMENTS 16

struct jd_params {
	size_t n;
	char *name[JD_MAX_PARAMS];  /* borrowed from the route */
	char *value[JD_MAX_PARAMS]; /* owned, percent-decoded */
};

struct jd_route_stats {
	uint64_t by_status[6]; /* index status / 100 (1xx..5xx) */
	uint64_t count;
	double seconds_sum;
	uint64_t buckets[10]; /* cumulative counts per latency bucket */
};

struct jd_route_entry {
	struct jd_route route; /* strings and fields deep-copied */
	char *owner;	       /* "core" or the plugin's name */
	size_t n_segments;
	char *segments[JD_MAX_SEGMENTS]; /* "{id}" marks a parameter */
	struct jd_route_stats stats;
};

extern const double jd_latency_buckets[10];

struct jd_router;

struct jd_router *jd_router_new(void);
void jd_router_free(struct jd_router *r);

/*
 * Registers a route.  JD_E_INVALID with the reason in err for a bad
 * method, path, permission or field list, JD_E_CONFLICT when the same
 * method and path (or CLI command) is already taken.
 */
int jd_router_add(struct jd_router *r, const struct jd_route *route, const char *owner, char *err,
		  size_t errlen);
/* Registers n routes of owner, stopping at the first refusal (its code, reason in err). */
int jd_router_add_table(struct jd_router *r, const struct jd_route *routes, size_t n,
			const char *owner, char *err, size_t errlen);
/* Removes every route of `owner` (a plugin whose init failed). */
void jd_router_remove_owner(struct jd_router *r, const char *owner);

/*
 * Finds the route for method and path (the path without its query) on
 * the control listener (control != 0) or the api listener, where
 * control-only routes do not exist.  NULL when nothing matches; then
 * *path_matched says whether another method would have (405).  Fills
 * params (free with jd_params_clear).
 */
struct jd_route_entry *jd_router_match(struct jd_router *r, const char *method, const char *path,
				       int control, struct jd_params *params, int *path_matched);
void jd_params_clear(struct jd_params *p);
const char *jd_params_get(const struct jd_params *p, const char *name);

size_t jd_router_count(const struct jd_router *r);
struct jd_route_entry *jd_router_at(struct jd_router *r, size_t i);

/*
 * Checks input (an object) against fields: required ones present, types
 * right, strings within max_len, no unknown field.  JD_E_INVALID with the
 * field named in err.
 */
int jd_fields_validate(const struct jd_field *fields, json_t *input, char *err, size_t errlen);
/* Turns a query string into an object typed by fields (integers, booleans). */
int jd_fields_from_query(const struct jd_field *fields, const char *query, json_t **out, char *err,
			 size_t errlen);

json_t *jd_router_catalog(struct jd_router *r);
json_t *jd_router_openapi(struct jd_router *r, const char *version);

#endif
