/*
 * Text helpers shared by the modules: UTF-8 (validating, decoding,
 * sequence and character lengths), hex digits, trimming and snake_case
 * names.  Nothing here allocates.
 */
#ifndef MAILOUT_TEXT_H
#define MAILOUT_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Whether the len bytes at s are UTF-8 without overlong forms,
 * surrogates (U+D800 to U+DFFF) or code points above U+10FFFF.  A NUL
 * byte is valid (one character). */
int text_utf8_valid(const char *s, size_t len);
/* The bytes at the start of s that are such UTF-8: len when all are, else
 * the offset of the first sequence that is not. */
size_t text_utf8_valid_len(const char *s, size_t len);

/* The code point at *s, advancing *s past it.  For valid UTF-8; on
 * anything else it still advances by 1 to 4 bytes without passing a NUL. */
uint32_t text_utf8_next(const char **s);

/* Bytes of the sequence whose lead byte is at s, by that byte (1 for
 * ASCII and stray continuation bytes, 2 to 4 for lead bytes), at most
 * left (which is at least 1). */
size_t text_utf8_seq_len(const char *s, size_t left);

/* Characters in the len bytes at s: the bytes that are not UTF-8
 * continuation bytes (10xxxxxx). */
size_t text_utf8_length(const char *s, size_t len);

/* The value of the hex digit c (either case), or -1. */
int text_hex_digit(int c);
/* The byte written as the two hex digits at p ("3D" -> 0x3d), or -1;
 * p[1] is only read when p[0] is a hex digit. */
int text_hex_byte(const char *p);

/* Bytes trimmed by text_trim(). */
#define TEXT_BLANKS " \t"
#define TEXT_SPACES " \t\r\n"

/* The span of *len bytes at s without the bytes of set (a string, e.g.
 * TEXT_BLANKS) at its start and end: returns its new start and sets *len
 * to its new length. */
const char *text_trim(const char *s, size_t *len, const char *set);

/* Whether s is a lower-case snake_case name: a letter a-z, then letters
 * a-z, digits and underscores. */
int text_is_snake_case(const char *s);

#endif
