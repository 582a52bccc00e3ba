/*
 * jianductl: the HTTPS client (libcurl): TLS 1.2 or later, the server
 * verified against the instance CA and its name, our client certificate
 * presented, JSON both ways.
 */
#ifndef JDCTL_HTTP_H
#define JDCTL_HTTP_H

#include <jansson.h>

#include "config.h"
#include "ctl.h"

/*
 * Sends METHOD https://<server><path> with `body` (NULL: none) as JSON.
 * path must already be URL-encoded.  On a 2xx answer returns CTL_OK with
 * *out the parsed JSON (NULL for an empty body; the caller decrefs it).
 * Otherwise fills *err: CTL_FAIL for an HTTP error status (the message is
 * "<status> <error.code>: <error.message>") or an answer that is not JSON,
 * CTL_CONNECT when the connection or the TLS handshake failed, with the
 * cause in words.
 */
int http_request(const struct client_conf *conf, const char *method, const char *path, json_t *body,
		 json_t **out, struct ctl_err *err);
/*
 * As http_request; on an HTTP error status whose answer is JSON, *errbody
 * (when errbody is not NULL) gets it too (the caller decrefs it): details
 * beyond the message, such as an import's bad rows.
 */
int http_request_errbody(const struct client_conf *conf, const char *method, const char *path,
			 json_t *body, json_t **out, struct ctl_err *err, json_t **errbody);

#endif
