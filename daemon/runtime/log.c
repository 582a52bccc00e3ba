#include "runtime/log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>

static enum jd_log_level min_level = JD_LOG_INFO;
static int to_syslog;

static const char *const level_names[] = {"debug", "info", "notice", "warn", "err"};

int jd_log_level_parse(const char *name, enum jd_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum jd_log_level)i;
			return JD_OK;
		}
	}
	return JD_E_INVALID;
}

int jd_log_set_level(const char *name)
{
	enum jd_log_level l;

	if (jd_log_level_parse(name, &l) != JD_OK)
		return JD_E_INVALID;
	min_level = l;
	return JD_OK;
}

const char *jd_log_level_name(enum jd_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

void jd_log_use_syslog(int on)
{
	if (on && !to_syslog)
		openlog("jiandud", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && to_syslog)
		closelog();
	to_syslog = on;
}

const char *jd_log_quote(char *buf, size_t size, const char *s)
{
	size_t o = 0;
	int needs = (*s == '\0');

	for (const char *p = s; *p && !needs; p++)
		needs = (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20);
	if (!needs) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	if (size < 3)
		return "\"\"";
	buf[o++] = '"';
	for (const char *p = s; *p && o + 3 < size; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20) {
			buf[o++] = ' ';
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int syslog_priority(enum jd_log_level level)
{
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR};

	return prio[level];
}

void jd_logv(enum jd_log_level level, const char *msg, const char *fields, va_list ap)
{
	char line[2048] = "", qmsg[512], when[40];
	struct timeval tv;
	struct tm tm;
	int n = 0;

	if (level < min_level || (unsigned)level > JD_LOG_ERR)
		return;
	jd_log_quote(qmsg, sizeof(qmsg), msg);
	if (fields != NULL)
		n = vsnprintf(line, sizeof(line), fields, ap);
	if (n < 0)
		line[0] = '\0';
	if (to_syslog) {
		syslog(syslog_priority(level), "level=%s msg=%s%s%s", level_names[level], qmsg,
		       line[0] ? " " : "", fields ? line : "");
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "time=%s.%03ldZ level=%s msg=%s%s%s\n", when, (long)(tv.tv_usec / 1000),
		level_names[level], qmsg, fields && line[0] ? " " : "", fields ? line : "");
}

void jd_log(enum jd_log_level level, const char *msg, const char *fields, ...)
{
	va_list ap;

	va_start(ap, fields);
	jd_logv(level, msg, fields, ap);
	va_end(ap);
}
