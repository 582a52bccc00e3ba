/*
 * The dashboard's files (docs/ui.md): read once at start from ui.dir into
 * memory and served at /ui/ on the api listener.  Only regular files found
 * under the directory exist (no symbolic link, no dot file): a request
 * names one of them or gets 404, so no path can reach outside, and no
 * request touches the disk.
 */
#ifndef JD_UI_FILES_H
#define JD_UI_FILES_H

#include <stddef.h>

#define JD_UI_MAX_FILES 256
#define JD_UI_MAX_BYTES (16u << 20) /* all files together */

struct jd_ui_files;
struct jd_req;

/*
 * Loads dir, or when dir is "" the first of "<jiandud's dir>/ui" and
 * "<jiandud's dir>/../share/jiandu/ui" that exists.  *out is NULL (the
 * dashboard is off, said in the log) when none does; JD_E_INVALID with err
 * when dir was given and cannot be read, or holds too much.
 */
int jd_ui_files_load(const char *dir, struct jd_ui_files **out, char *err, size_t errlen);
void jd_ui_files_free(struct jd_ui_files *u);
/* Where the files came from, for the log. */
const char *jd_ui_files_root(const struct jd_ui_files *u);

/* Whether path ("/ui", "/ui/...") is the dashboard's. */
int jd_ui_path(const char *path);
/* Answers a GET of path with the file and its security headers (u may be NULL: 404). */
void jd_ui_serve(struct jd_req *req, const struct jd_ui_files *u, const char *method,
		 const char *path);

#endif
