#include "runtime/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jiandu/plugin.h>

int jd_file_readable(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO put in a file's place must not block start-up */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(errno));
		return JD_E_INVALID;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		return JD_E_INVALID;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", what, path);
		return JD_E_INVALID;
	}
	return JD_OK;
}

int jd_text_printable(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			line++;
			continue;
		}
		if (c == '\t' || (c == '\r' && i + 1 < len && buf[i + 1] == '\n'))
			continue;
		if (c < 0x20 || c == 0x7f) {
			if (err == NULL || errlen == 0)
				return JD_E_INVALID;
			snprintf(err, errlen,
				 "%s:%d: control character 0x%02x%s: only printable text is "
				 "accepted",
				 path, line, c, c == 0 ? " (a NUL byte)" : "");
			return JD_E_INVALID;
		}
	}
	return JD_OK;
}
