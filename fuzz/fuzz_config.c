/* libFuzzer target: jiandud.conf parsing (inih plus our typed table). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jiandu/plugin.h>

#include "runtime/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct jd_config *cfg = NULL;
	char err[512];
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/jdfuzz-config-%d.conf", (int)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (jd_config_load(path, &cfg, err, sizeof(err)) == JD_OK)
		jd_config_free(cfg);
	return 0;
}
