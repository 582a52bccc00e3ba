/*
 * Named files (certificates, keys, CAs) checked before a library reads
 * them, so a missing or unreadable one is reported with its path and the
 * system's reason instead of the library's ("system lib").
 */
#ifndef JD_FILES_H
#define JD_FILES_H

#include <stddef.h>

/*
 * JD_OK when path opens for reading as a regular file; otherwise
 * JD_E_INVALID and err reads "<what> <path>: cannot open: <strerror>"
 * (or "...: not a regular file").
 */
int jd_file_readable(const char *what, const char *path, char *err, size_t errlen);

/*
 * Configuration-like text (parsed by inih, which stops a line at a NUL
 * byte and passes other control characters on silently): JD_OK when buf
 * holds no control character but tab and a CR before LF; otherwise
 * JD_E_INVALID and err reads "<path>:<line>: control character 0xNN".
 * Never quotes the text (a keyring's holds secrets).
 */
int jd_text_printable(const char *path, const char *buf, size_t len, char *err, size_t errlen);

#endif
