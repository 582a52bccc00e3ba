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
