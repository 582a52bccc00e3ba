/* The units a report ranks (report_units.h). */
#include "report/report_units.h"

#include <string.h>

#include "org/org_staffing.h"
#include "org/org_snapshot.h"

json_t *jd_report_units(const json_t *snap)
{
	/* org_staffing lists the active units sorted by code, with their kind and name */
	json_t *st = jd_org_staffing(snap), *out = json_array();
	size_t i;
	json_t *u;

	if (st == NULL || out == NULL)
		goto fail;
	json_array_foreach(json_object_get(st, "units"), i, u)
	{
		if (strcmp(jd_snap_str(u, "kind"), "agency") != 0)
			continue;
		if (json_array_append_new(out,
					  json_pack("{s:s, s:s}", "code", jd_snap_str(u, "code"),
						    "name", jd_snap_str(u, "name"))) != 0)
			goto fail;
	}
	json_decref(st);
	return out;
fail:
	json_decref(st);
	json_decref(out);
	return NULL;
}
