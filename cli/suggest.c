/* jianductl: nearest match by edit distance. */
#include "suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEN 64

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

static size_t lower_copy(char *dst, const char *src)
{
	size_t n = 0;

	for (; n < MAX_LEN && src[n]; n++)
		dst[n] = (char)tolower((unsigned char)src[n]);
	dst[n] = '\0';
	return n == MAX_LEN && src[n] ? (size_t)-1 : n;
}

size_t suggest_distance(const char *sa, const char *sb)
{
	char a[MAX_LEN + 1], b[MAX_LEN + 1];
	size_t la = lower_copy(a, sa), lb = lower_copy(b, sb);
	size_t d[MAX_LEN + 1][MAX_LEN + 1];

	if (la == (size_t)-1 || lb == (size_t)-1)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[la][lb];
}

static size_t threshold(const char *cand)
{
	size_t n = strlen(cand);

	if (n <= 3)
		return 1;
	if (n <= 8)
		return 2;
	return 3;
}

const char *suggest_word(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(word, cands[i]);
		if (d <= threshold(cands[i]) && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

static size_t word_count(const char *s)
{
	size_t n = 0;

	for (const char *p = s; *p; p++)
		if (*p != ' ' && (p == s || p[-1] == ' '))
			n++;
	return n;
}

/* The first k typed words joined by single spaces, in buf. */
static int join_words(int argc, char **argv, size_t k, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k && i < (size_t)argc; i++) {
		size_t w = strlen(argv[i]);
		if (len + w + 2 > size)
			return -1;
		if (i > 0)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], w + 1);
		len += w;
	}
	return 0;
}

const char *suggest_command(int argc, char **argv, const char *const *cands, size_t n,
			    size_t *typed_words)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	char typed[MAX_LEN + 1];

	*typed_words = 1;
	for (size_t i = 0; i < n; i++) {
		size_t k = word_count(cands[i]), d;
		if (k == 0 || join_words(argc, argv, k, typed, sizeof typed) < 0)
			continue;
		d = suggest_distance(typed, cands[i]);
		if (d <= threshold(cands[i]) && d < best_d) {
			best = cands[i];
			best_d = d;
			*typed_words = k < (size_t)argc ? k : (size_t)argc;
		}
	}
	return best;
}
