/*
 * jianductl: commands from the daemon's route catalog (GET /v1/routes).
 * A route with a `command` ("example notes add") becomes a command whose
 * options are the route's fields (--name value) and path parameters.
 */
#ifndef JDCTL_CATALOG_H
#define JDCTL_CATALOG_H

#include <jansson.h>
#include <stdio.h>

#include "ctl.h"

struct cat_field {
	const char *name;
	const char *type; /* "string", "integer", "boolean" */
	const char *description;
	int required;
	long long max_len; /* strings; -1: not given */
};

struct cat_route {
	const char *method, *path, *permission, *summary;
	const char *command; /* NULL: no CLI command */
	int control_only;
	struct cat_field *fields;
	size_t nfields;
};

struct catalog {
	json_t *root; /* owns every string above */
	struct cat_route *routes;
	size_t n;
	const char **commands; /* the routes' commands, for suggestions */
	size_t ncommands;
};

int catalog_fetch(const struct ctl *ctl, struct catalog *cat, struct ctl_err *err);
void catalog_free(struct catalog *cat);
/* A catalog from root (taken over, freed on failure); -1 when it is malformed. */
int catalog_parse(json_t *root, struct catalog *cat);

/* Drops `command` from the commands (a built-in of that name wins). */
void catalog_hide(struct catalog *cat, const char *command);
/* How many commands start with the words argv[0..argc). */
size_t catalog_count(const struct catalog *cat, int argc, char **argv);

/* The route whose command is the longest prefix of argv; *nwords its length. */
const struct cat_route *catalog_match(const struct catalog *cat, int argc, char **argv,
				      size_t *nwords);
/* Lists (command, summary) of the commands starting with argv[0..argc); returns how many. */
size_t catalog_list(const struct catalog *cat, FILE *f, int argc, char **argv);
void catalog_route_help(const struct cat_route *r, FILE *f);

/* Runs route r with the options in argv[0..argc). */
int catalog_run(struct ctl *ctl, const struct cat_route *r, int argc, char **argv);

#endif
