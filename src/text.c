#include "text.h"

#include <string.h>

size_t text_utf8_valid_len(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 2;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 3;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 4;
			cp = s[i] & 0x07;
		} else {
			return i;
		}
		if (len - i < n)
			return i;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n;
	}
	return len;
}

int text_utf8_valid(const char *s, size_t len)
{
	return text_utf8_valid_len(s, len) == len;
}

uint32_t text_utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c;
	size_t n, i;

	if (*p < 0x80) {
		*s += 1;
		return *p;
	}
	n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	c = *p & (0x7f >> n);
	for (i = 1; i < n && p[i]; i++)
		c = (c << 6) | (p[i] & 0x3f);
	*s += i;
	return c;
}

size_t text_utf8_seq_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)*s;
	size_t n = 1;

	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	return n < left ? n : left;
}

size_t text_utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

int text_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int text_hex_byte(const char *p)
{
	int h = text_hex_digit((unsigned char)p[0]), l;

	if (h < 0 || (l = text_hex_digit((unsigned char)p[1])) < 0)
		return -1;
	return h << 4 | l;
}

static int in_set(char c, const char *set)
{
	return c && strchr(set, c) != NULL;
}

const char *text_trim(const char *s, size_t *len, const char *set)
{
	while (*len && in_set(*s, set)) {
		s++;
		(*len)--;
	}
	while (*len && in_set(s[*len - 1], set))
		(*len)--;
	return s;
}

int text_is_snake_case(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	}
	return 1;
}
