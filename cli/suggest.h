/* jianductl: the nearest command or option name to what was typed. */
#ifndef JDCTL_SUGGEST_H
#define JDCTL_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (a transposition counts as one edit). */
size_t suggest_distance(const char *a, const char *b);

/*
 * The candidate closest to `word`, if close enough to be a likely typo
 * (one edit for short names, up to three for long ones), else NULL.
 */
const char *suggest_word(const char *word, const char *const *cands, size_t n);

/*
 * For commands of one or more words: each candidate is compared with as
 * many of the typed words as it has.  Returns the best candidate or NULL;
 * *typed_words gets how many typed words it was compared with.
 */
const char *suggest_command(int argc, char **argv, const char *const *cands, size_t n,
			    size_t *typed_words);

#endif
