/*
 * Every worker's figures in one /metrics answer (metrics_share.h).
 */
#include "runtime/metrics_share.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "transport/server.h"

#define SHARE_PREFIX "metrics-worker-"
#define SHARE_SUFFIX ".prom"
#define STALE_S	     10		/* an older file is a dead worker's */
#define SHARE_MAX    (8u << 20) /* a file larger than this is not read */
#define FAMILIES_MAX 256
#define TEXTS_MAX    65 /* this worker and 64 others */

/* One family of a text: its # lines, then its samples. */
struct family {
	const char *name;
	size_t name_len;
	const char *head, *samples, *end;
	int used;
};

struct text {
	unsigned slot;
	char *buf; /* owned */
	size_t len;
	struct family fams[FAMILIES_MAX];
	size_t n;
};

static int share_path(const struct jd_server *srv, unsigned slot, const char *suffix, char *out,
		      size_t len)
{
	int n = snprintf(out, len, "%s/" SHARE_PREFIX "%u" SHARE_SUFFIX "%s", srv->cfg->data_dir,
			 slot, suffix);

	return n > 0 && (size_t)n < len ? JD_OK : JD_ERR;
}

/* ---- Writing this worker's figures ------------------------------------------ */

static int write_file(const char *path, const char *tmp, const char *text, size_t len)
{
	FILE *f = fopen(tmp, "we");
	int ok;

	if (f == NULL)
		return JD_ERR;
	ok = fwrite(text, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		return JD_ERR;
	}
	return JD_OK;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct jd_server *srv = arg;
	char path[4096], tmp[4096];
	size_t len;
	char *text;
	int rc = JD_E_NOMEM;

	(void)fd;
	(void)what;
	text = jd_metrics_render(srv, &len);
	if (text != NULL && (rc = share_path(srv, srv->worker, "", path, sizeof(path))) == JD_OK &&
	    (rc = share_path(srv, srv->worker, ".tmp", tmp, sizeof(tmp))) == JD_OK)
		rc = write_file(path, tmp, text, len);
	free(text);
	if (rc != JD_OK && !srv->metrics_share_failing)
		jd_warn("metrics: cannot write this worker's figures for the others; /metrics "
			"answered by another worker will lack them",
			"dir=%s errno=%d", srv->cfg->data_dir, errno);
	else if (rc == JD_OK && srv->metrics_share_failing)
		jd_info("metrics: this worker's figures are written again", NULL);
	srv->metrics_share_failing = rc != JD_OK;
}

int jd_metrics_share_start(struct jd_server *srv)
{
	struct timeval second = {1, 0};

	if (srv->worker == 0)
		return JD_OK;
	srv->metrics_share = event_new(srv->base, -1, EV_PERSIST, on_tick, srv);
	if (srv->metrics_share == NULL || event_add(srv->metrics_share, &second) != 0)
		return JD_E_NOMEM;
	on_tick(-1, 0, srv); /* at once: the others need not wait a second */
	return JD_OK;
}

void jd_metrics_share_stop(struct jd_server *srv)
{
	char path[4096];

	if (srv->metrics_share == NULL)
		return;
	event_free(srv->metrics_share);
	srv->metrics_share = NULL;
	if (share_path(srv, srv->worker, "", path, sizeof(path)) == JD_OK)
		(void)unlink(path);
}

/* ---- Reading the others' ------------------------------------------------------ */

/* The slot a file name names, 0 if it is not one of ours. */
static unsigned slot_of(const char *name)
{
	size_t np = strlen(SHARE_PREFIX), ns = strlen(SHARE_SUFFIX), n = strlen(name);
	char *end;
	unsigned long v;

	if (n <= np + ns || strncmp(name, SHARE_PREFIX, np) != 0 ||
	    strcmp(name + n - ns, SHARE_SUFFIX) != 0)
		return 0;
	v = strtoul(name + np, &end, 10);
	return end == name + n - ns && v > 0 && v < 100000 ? (unsigned)v : 0;
}

/* A fresh file's whole text; NULL if stale, too large or unreadable. */
static char *read_fresh(const char *path, size_t *len)
{
	struct stat st;
	FILE *f;
	char *buf;

	if (stat(path, &st) != 0 || time(NULL) - st.st_mtime > STALE_S ||
	    (unsigned long long)st.st_size > SHARE_MAX || (f = fopen(path, "re")) == NULL)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	*len = buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (buf != NULL)
		buf[*len] = '\0';
	return buf;
}

/* The text's families; lines before the first "# HELP" belong to none. */
static void parse(struct text *t)
{
	const char *p = t->buf, *end = t->buf + t->len;
	struct family *f = NULL;

	t->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;

		if ((size_t)(end - p) > 7 && strncmp(p, "# HELP ", 7) == 0 && t->n < FAMILIES_MAX) {
			f = &t->fams[t->n++];
			f->name = p + 7;
			f->name_len = strcspn(f->name, " \n");
			f->head = p;
			f->samples = f->end = next;
			f->used = 0;
		} else if (f != NULL && *p == '#' && f->samples == p) {
			f->samples = f->end = next; /* # TYPE */
		} else if (f != NULL) {
			f->end = next;
		}
		p = next;
	}
}

static struct family *find_unused(struct text *t, const struct family *like)
{
	for (size_t i = 0; i < t->n; i++) {
		struct family *f = &t->fams[i];

		if (!f->used && f->name_len == like->name_len &&
		    memcmp(f->name, like->name, f->name_len) == 0)
			return f;
	}
	return NULL;
}

/* f's samples, each with worker="<slot>" as its first label. */
static int add_samples(struct evbuffer *out, const struct family *f, unsigned slot)
{
	const char *p = f->samples;

	while (p < f->end) {
		const char *nl = memchr(p, '\n', (size_t)(f->end - p));
		const char *next = nl != NULL ? nl + 1 : f->end;
		size_t name = strcspn(p, "{ \n");
		int rc;

		if (p[name] == '{')
			rc = evbuffer_add_printf(out, "%.*sworker=\"%u\",%.*s", (int)name + 1, p,
						 slot, (int)(next - p - name - 1), p + name + 1);
		else if (p[name] == ' ')
			rc = evbuffer_add_printf(out, "%.*s{worker=\"%u\"}%.*s", (int)name, p, slot,
						 (int)(next - p - name), p + name);
		else
			rc = 0; /* not a sample: left out */
		if (rc < 0)
			return JD_E_NOMEM;
		p = next;
	}
	return JD_OK;
}

/* Every family of every text once, in the order first met, its samples from all of them. */
static int merge(struct text *texts, size_t n, struct evbuffer *out)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < texts[i].n; k++) {
			struct family *f = &texts[i].fams[k];

			if (f->used)
				continue;
			if (evbuffer_add(out, f->head, (size_t)(f->samples - f->head)) != 0)
				return JD_E_NOMEM;
			for (size_t j = i; j < n; j++) {
				struct family *g = j == i ? f : find_unused(&texts[j], f);

				if (g == NULL)
					continue;
				g->used = 1;
				if (add_samples(out, g, texts[j].slot) != JD_OK)
					return JD_E_NOMEM;
			}
		}
	}
	return JD_OK;
}

/* The other workers' fresh files, after texts[0]; their count. */
static size_t read_others(struct jd_server *srv, struct text *texts, size_t max)
{
	DIR *d = opendir(srv->cfg->data_dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while (n < max && (e = readdir(d)) != NULL) {
		unsigned slot = slot_of(e->d_name);
		char path[4096];

		if (slot == 0 || slot == srv->worker ||
		    share_path(srv, slot, "", path, sizeof(path)) != JD_OK)
			continue;
		texts[n].buf = read_fresh(path, &texts[n].len);
		if (texts[n].buf == NULL)
			continue;
		texts[n].slot = slot;
		parse(&texts[n]);
		n++;
	}
	closedir(d);
	return n;
}

char *jd_metrics_share_merge(struct jd_server *srv, char *own, size_t *len)
{
	struct text *texts;
	struct evbuffer *out;
	size_t n;
	char *merged = NULL;

	if (srv->worker == 0 || own == NULL)
		return own;
	texts = calloc(TEXTS_MAX, sizeof(*texts));
	out = evbuffer_new();
	if (texts == NULL || out == NULL)
		goto done;
	texts[0].slot = srv->worker;
	texts[0].buf = own;
	texts[0].len = *len;
	own = NULL;
	parse(&texts[0]);
	n = 1 + read_others(srv, texts + 1, TEXTS_MAX - 1);
	if (merge(texts, n, out) == JD_OK &&
	    (merged = malloc(evbuffer_get_length(out) + 1)) != NULL) {
		*len = evbuffer_get_length(out);
		evbuffer_remove(out, merged, *len);
		merged[*len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(texts[i].buf);
done:
	free(own);
	free(texts);
	if (out != NULL)
		evbuffer_free(out);
	return merged;
}
