/*
 * The units a report ranks with by=unit (docs/report.md): the county's
 * active dispatched agencies (派驻机构), by code.  Their figures are the
 * plugins' counters filtered to the unit, as the statistics query keeps
 * them per unit: no record is read.
 */
#ifndef JD_REPORT_UNITS_H
#define JD_REPORT_UNITS_H

#include <jansson.h>

/* Pure: [{"code", "name"}] of the snapshot's active agencies, sorted; NULL when out of memory. */
json_t *jd_report_units(const json_t *snap);

#endif
