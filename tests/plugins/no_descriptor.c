/* Test plugin: a shared object that exports no jd_plugin descriptor. */
__attribute__((visibility("default"))) int not_a_plugin(void);

int not_a_plugin(void)
{
	return 42;
}
