/* The dashboard's static files: loaded once into memory, served with a strict CSP. */
#include "transport/ui_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>
#include <sodium.h>

#include <jiandu/plugin.h>

#include "runtime/log.h"
#include "transport/request.h"

#define UI_PREFIX "/ui/"
#define MAX_DEPTH 4

/*
 * default-src 'self' and nothing inline: the page's script and styles are
 * files; charts draw on canvas; data comes from this origin's /v1 API.
 */
#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "    \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                \
	"form-action 'self'; frame-ancestors 'none'"

struct ui_file {
	char *path; /* relative, "app.js", "assets/x.css" */
	char *body;
	size_t len;
	const char *type;
	char etag[36]; /* "\"<BLAKE2b-128 hex>\"" */
};

struct jd_ui_files {
	char root[PATH_MAX];
	struct ui_file files[JD_UI_MAX_FILES];
	size_t n;
	size_t bytes;
};

static const struct {
	const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
};

/* The type by extension; NULL: a file the dashboard does not serve. */
static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* A name the dashboard serves: [A-Za-z0-9._-], not starting with a dot. */
static int plain_name(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '.' || s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

static int read_all(int fd, size_t len, char **out)
{
	char *buf = malloc(len ? len : 1);
	size_t got = 0;

	if (buf == NULL)
		return JD_E_NOMEM;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return JD_ERR;
		}
		got += (size_t)n;
	}
	*out = buf;
	return JD_OK;
}

static int add_file(struct jd_ui_files *u, int dirfd, const char *name, const char *rel, char *err,
		    size_t errlen)
{
	struct ui_file *f = &u->files[u->n];
	unsigned char h[16];
	struct stat st;
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return JD_OK; /* not a regular file: not served */
	}
	if (u->n == JD_UI_MAX_FILES || (size_t)st.st_size > JD_UI_MAX_BYTES - u->bytes) {
		close(fd);
		snprintf(err, errlen, "%s: more than %d files or %u bytes", u->root,
			 JD_UI_MAX_FILES, JD_UI_MAX_BYTES);
		return JD_E_INVALID;
	}
	rc = read_all(fd, (size_t)st.st_size, &f->body);
	close(fd);
	if (rc != JD_OK) {
		snprintf(err, errlen, "%s/%s: cannot read", u->root, rel);
		return rc;
	}
	f->path = strdup(rel);
	if (f->path == NULL) {
		free(f->body);
		return JD_E_NOMEM;
	}
	f->len = (size_t)st.st_size;
	f->type = type_of(name);
	crypto_generichash(h, sizeof(h), (const unsigned char *)f->body, f->len, NULL, 0);
	f->etag[0] = '"';
	sodium_bin2hex(f->etag + 1, sizeof(f->etag) - 2, h, sizeof(h));
	snprintf(f->etag + 33, 3, "\"");
	u->bytes += f->len;
	u->n++;
	return JD_OK;
}

static int walk(struct jd_ui_files *u, int dirfd, const char *prefix, int depth, char *err,
		size_t errlen);

static int visit(struct jd_ui_files *u, int dirfd, const struct dirent *e, const char *prefix,
		 int depth, char *err, size_t errlen)
{
	char rel[PATH_MAX];
	struct stat st;
	int sub, rc;

	if (!plain_name(e->d_name, strlen(e->d_name)) ||
	    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return JD_OK;
	snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", e->d_name);
	if (S_ISREG(st.st_mode))
		return type_of(e->d_name) ? add_file(u, dirfd, e->d_name, rel, err, errlen) : JD_OK;
	if (!S_ISDIR(st.st_mode) || depth >= MAX_DEPTH)
		return JD_OK;
	sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return JD_OK;
	rc = walk(u, sub, rel, depth + 1, err, errlen);
	return rc;
}

/* Takes dirfd over. */
static int walk(struct jd_ui_files *u, int dirfd, const char *prefix, int depth, char *err,
		size_t errlen)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int rc = JD_OK;

	if (d == NULL) {
		close(dirfd);
		snprintf(err, errlen, "%s: cannot list", u->root);
		return JD_E_INVALID;
	}
	while (rc == JD_OK && (e = readdir(d)) != NULL)
		rc = visit(u, dirfd, e, prefix, depth, err, errlen);
	closedir(d);
	return rc;
}

/* The default: "ui" beside jiandud (a build tree), else ../share/jiandu/ui (an install). */
static int default_root(char out[PATH_MAX], size_t len)
{
	char exe[PATH_MAX - 32], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	snprintf(out, len, "%s/ui", exe);
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	snprintf(out, len, "%s/../share/jiandu/ui", exe);
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

int jd_ui_files_load(const char *dir, struct jd_ui_files **out, char *err, size_t errlen)
{
	struct jd_ui_files *u;
	char root[PATH_MAX];
	int fd, rc;

	*out = NULL;
	if (dir != NULL && *dir)
		snprintf(root, sizeof(root), "%s", dir);
	else if (!default_root(root, sizeof(root)))
		return JD_OK;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return JD_E_NOMEM;
	if (realpath(root, u->root) == NULL ||
	    (fd = open(u->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "ui.dir %s: %s", root, strerror(errno));
		free(u);
		return JD_E_INVALID;
	}
	rc = walk(u, fd, "", 0, err, errlen);
	if (rc != JD_OK) {
		jd_ui_files_free(u);
		return rc;
	}
	*out = u;
	return JD_OK;
}

void jd_ui_files_free(struct jd_ui_files *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free(u->files[i].path);
		free(u->files[i].body);
	}
	free(u);
}

const char *jd_ui_files_root(const struct jd_ui_files *u)
{
	return u ? u->root : "-";
}

int jd_ui_path(const char *path)
{
	return strcmp(path, "/ui") == 0 || strncmp(path, UI_PREFIX, strlen(UI_PREFIX)) == 0;
}

/* The file a request path names: every segment plain, so no "..", no "%", no dot file. */
static const struct ui_file *find(const struct jd_ui_files *u, const char *rel)
{
	const char *p = rel;

	if (u == NULL)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!plain_name(p, n))
			return NULL;
		p += n;
		if (*p == '/')
			p++;
	}
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->files[i].path, rel) == 0)
			return &u->files[i];
	return NULL;
}

static void security_headers(struct evkeyvalq *h)
{
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

void jd_ui_serve(struct jd_req *req, const struct jd_ui_files *u, const char *method,
		 const char *path)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req->ev);
	const char *rel = path + (strlen(path) >= strlen(UI_PREFIX) ? strlen(UI_PREFIX) : 0);
	const char *inm;
	const struct ui_file *f;

	security_headers(h);
	if (strcmp(method, "GET") != 0) {
		evhttp_add_header(h, "Allow", "GET");
		jd_reply_error(req, 405, "method_not_allowed",
			       "the dashboard's files are read only");
		return;
	}
	if (strcmp(path, "/ui") == 0) {
		evhttp_add_header(h, "Location", UI_PREFIX);
		jd_reply_text(req, 301, "text/plain; charset=utf-8", "/ui/\n", 5);
		return;
	}
	f = find(u, *rel ? rel : "index.html");
	if (f == NULL) {
		jd_reply_error(req, 404, "not_found", "%s",
			       u ? "no such file of the dashboard"
				 : "the dashboard's files are not "
				   "installed (ui.dir)");
		return;
	}
	/* revalidated each time (cheap: 304), so an upgrade shows at once */
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "ETag", f->etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(req->ev), "If-None-Match");
	if (inm != NULL && strcmp(inm, f->etag) == 0) {
		jd_reply_text(req, 304, f->type, "", 0);
		return;
	}
	jd_reply_text(req, 200, f->type, f->body, f->len);
}
