/*
 * A county's organization as the four CSV files of an import (org_csv.h,
 * org_import.h): GET /v1/org/export?tenant=T answers {"tenant", "units",
 * "people", "posts", "groups"}, each the text of that file, and
 * `jianductl org export --dir D` writes them as D/units.csv and so on.
 *
 * What is exported is what an import can create, so that the files load
 * into an empty county as the same organization:
 *   - active units, people and groups only (an import creates active ones);
 *     links, member units and members that are no longer active are left
 *     out of the lists that name them, and so are post transfers between
 *     units that are not exported;
 *   - people without their ids (an import gives new ones): groups name
 *     their leader and members by name, or by id where two active people
 *     share a name (such a file loads back into the same county only);
 *   - never the declared ties: the ties column of people.csv is empty
 *     (they are sealed, and an export is a plain file);
 *   - not the history an import does not take: people's moves and former
 *     units, retired records, groups' earlier leaders.
 */
#ifndef JD_ORG_EXPORT_H
#define JD_ORG_EXPORT_H

#include <stddef.h>

#include <jansson.h>

struct jd_server;

/*
 * Pure: the four files of snap (a county's snapshot), a new object
 * {"units", "people", "posts", "groups"} of CSV texts (CRLF line ends,
 * quoted where needed), or NULL when out of memory.  Rows sort by code
 * (units, groups), by unit, post and name (people), by date (posts).
 */
json_t *jd_org_export(const json_t *snap);

int jd_org_export_register(struct jd_server *srv, char *err, size_t errlen);

#endif
