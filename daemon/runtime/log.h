/* logfmt logging: one line per event on stderr, or syslog. */
#ifndef JD_LOG_H
#define JD_LOG_H

#include <stdarg.h>
#include <jiandu/plugin.h>

int jd_log_set_level(const char *name); /* JD_OK, or JD_E_INVALID for an unknown name */
int jd_log_level_parse(const char *name, enum jd_log_level *out);
const char *jd_log_level_name(enum jd_log_level level);
void jd_log_use_syslog(int on);

/*
 * msg is a short constant text; fields, if not NULL, is a printf format
 * for the rest of the line in key=value form ("addr=%s req=%s").  Values
 * that may hold spaces go through jd_log_quote().  Never log a sensitive
 * value.
 */
void jd_log(enum jd_log_level level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));
void jd_logv(enum jd_log_level level, const char *msg, const char *fields, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Writes `s` as a logfmt value (quoted and escaped when needed) into buf. */
const char *jd_log_quote(char *buf, size_t size, const char *s);

#define jd_debug(...)  jd_log(JD_LOG_DEBUG, __VA_ARGS__)
#define jd_info(...)   jd_log(JD_LOG_INFO, __VA_ARGS__)
#define jd_notice(...) jd_log(JD_LOG_NOTICE, __VA_ARGS__)
#define jd_warn(...)   jd_log(JD_LOG_WARN, __VA_ARGS__)
#define jd_err(...)    jd_log(JD_LOG_ERR, __VA_ARGS__)

#endif
