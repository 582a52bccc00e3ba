/* Test plugin: exports the symbol, but not a jiandu descriptor. */
#include <jiandu/plugin.h>

__attribute__((visibility("default"))) const struct jd_plugin jd_plugin = {
    .magic = 0xdeadbeefu,
    .abi_major = JD_ABI_MAJOR,
    .name = "bad_magic",
};
