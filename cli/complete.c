/* jianductl: completion candidates from the built-ins and the cached catalog. */
#include "complete.h"

#include <stdlib.h>
#include <string.h>

/* Global options (main.c's parse_global) and whether each takes a value. */
static const struct {
	const char *name;
	int value;
} globals[] = {
    {"-c", 1},	     {"--config", 1},	  {"-s", 1},	 {"--server", 1},
    {"--ca", 1},     {"--cert", 1},	  {"--key", 1},	 {"--json", 0},
    {"--output", 1}, {"--no-headers", 0}, {"--help", 0}, {"--version", 0},
};

#define N_GLOBALS (sizeof globals / sizeof globals[0])

struct cands {
	const char **v;
	size_t n, cap;
	char **owned; /* strings made here: words cut out of names, options */
	size_t nowned, owncap;
};

static int prefixed(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int add(struct cands *c, const char *s)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		const char **v = realloc(c->v, cap * sizeof *v);

		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = s;
	return 0;
}

/* Keeps s (made here) to free at the end; s itself, or NULL. */
static char *own(struct cands *c, char *s)
{
	if (s && c->nowned == c->owncap) {
		size_t cap = c->owncap ? c->owncap * 2 : 64;
		char **v = realloc(c->owned, cap * sizeof *v);

		if (!v) {
			free(s);
			return NULL;
		}
		c->owned = v;
		c->owncap = cap;
	}
	if (s)
		c->owned[c->nowned++] = s;
	return s;
}

/* Word k (0-based) of a multi-word name, into c's own storage; NULL: none (or no memory). */
static const char *word_at(struct cands *c, const char *name, size_t k)
{
	const char *p = name;
	size_t len;

	for (;;) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len)
			return NULL;
		if (k-- == 0)
			break;
		p += len;
	}
	return own(c, strndup(p, len));
}

/* Whether the first n words of name are words[0..n). */
static int starts_with_words(const char *name, int n, char **words)
{
	const char *p = name;

	for (int k = 0; k < n; k++) {
		size_t len;

		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len || strlen(words[k]) != len || strncmp(p, words[k], len) != 0)
			return 0;
		p += len;
	}
	return 1;
}

/* The next word of name after words[0..n), if it starts with cur. */
static int next_word(struct cands *c, const char *name, int n, char **words, const char *cur)
{
	const char *w;

	if (!starts_with_words(name, n, words))
		return 0;
	w = word_at(c, name, (size_t)n);
	return w && prefixed(w, cur) ? add(c, w) : 0;
}

/* "--name" (kebab case) if it is not given yet, in either spelling, and starts with cur. */
static int option(struct cands *c, int n, char **words, const char *cur, const char *name,
		  size_t len)
{
	char *opt;

	if (asprintf(&opt, "--%.*s", (int)len, name) < 0 || !own(c, opt))
		return -1;
	for (int i = 0; i < n; i++)
		if (ctl_opt_same(words[i], strlen(words[i]), opt, strlen(opt)))
			return 0;
	for (char *p = opt + 2; *p; p++)
		if (*p == '_')
			*p = '-';
	return prefixed(opt, cur) ? add(c, opt) : 0;
}

static int command_words(struct cands *c, const struct command *cmds, size_t ncmds,
			 const struct catalog *cat, int n, char **words, const char *cur)
{
	for (size_t i = 0; i < ncmds; i++)
		if (!(cmds[i].flags & (CMD_HIDDEN | CMD_CATALOG)) &&
		    next_word(c, cmds[i].name, n, words, cur) < 0)
			return -1;
	for (size_t i = 0; cat && i < cat->ncommands; i++)
		if (next_word(c, cat->commands[i], n, words, cur) < 0)
			return -1;
	return 0;
}

/* The options of route r not given yet; none after an option that wants a value. */
static int route_options(struct cands *c, const struct cat_route *r, int n, char **words,
			 const char *cur)
{
	const char *p = r->path, *end;

	const char *prev = n > 0 ? words[n - 1] : "";

	if (prefixed(prev, "--") && !strchr(prev, '=')) {
		size_t i = 0;

		while (i < r->nfields &&
		       !ctl_opt_same(prev + 2, strlen(prev + 2), r->fields[i].name,
				     strlen(r->fields[i].name)))
			i++;
		if (i == r->nfields || strcmp(r->fields[i].type, "boolean") != 0)
			return 0; /* cur is the option's value */
	}
	while ((p = strchr(p, '{')) != NULL && (end = strchr(p, '}')) != NULL) {
		if (option(c, n, words, cur, p + 1, (size_t)(end - p - 1)) < 0)
			return -1;
		p = end + 1;
	}
	for (size_t i = 0; i < r->nfields; i++)
		if (option(c, n, words, cur, r->fields[i].name, strlen(r->fields[i].name)) < 0)
			return -1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_unique(struct cands *c, FILE *out)
{
	qsort(c->v, c->n, sizeof *c->v, cmp_str);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i] && (i == 0 || strcmp(c->v[i], c->v[i - 1]) != 0))
			fprintf(out, "%s\n", c->v[i]);
}

/*
 * Skips the global options before the command (*first: the command's first
 * word).  1: nothing more to offer (cur is a global's value, or a global
 * option itself, offered here); 0: go on; -1: out of memory.
 */
static int skip_globals(struct cands *c, int n, char **words, int *first)
{
	int i = 0;

	while (i < n - 1 && words[i][0] == '-') {
		int value = 0;

		for (size_t g = 0; g < N_GLOBALS; g++)
			if (strcmp(words[i], globals[g].name) == 0)
				value = globals[g].value;
		if (value && i + 1 == n - 1)
			return 1; /* the shell completes a file name */
		i += 1 + value;
	}
	*first = i;
	if (i != n - 1 || words[i][0] != '-')
		return 0;
	for (size_t g = 0; g < N_GLOBALS; g++)
		if (prefixed(globals[g].name, words[i]) && add(c, globals[g].name) < 0)
			return -1;
	return 1;
}

int complete_words(const struct command *cmds, size_t ncmds, const struct catalog *cat, int n,
		   char **words, FILE *out)
{
	static char *none[] = {""};
	struct cands c = {0};
	const struct cat_route *r = NULL;
	size_t k = 0;
	int first = 0, rc;

	if (n <= 0) {
		n = 1;
		words = none;
	}
	rc = skip_globals(&c, n, words, &first);
	if (rc == 0) {
		words += first;
		n -= first;
		if (cat)
			r = catalog_match(cat, n - 1, words, &k);
		if (r)
			rc = route_options(&c, r, n - 1 - (int)k, words + k, words[n - 1]);
		else
			rc = command_words(&c, cmds, ncmds, cat, n - 1, words, words[n - 1]);
	}
	if (rc >= 0)
		print_unique(&c, out);
	for (size_t i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	free(c.owned);
	free(c.v);
	return rc < 0 ? -1 : 0;
}
