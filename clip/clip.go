// Package clip shortens text to a limit without splitting a character,
// marking the cut with "…" so that a reader sees text is missing.
package clip

import "unicode/utf8"

// mark ends a shortened text.
const mark = "…"

// Bytes cuts s to at most max bytes (the mark included) on a rune
// boundary: WeChat limits replies in bytes of UTF-8.
func Bytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// Runes cuts s to at most n characters (the mark included): limits people
// read, such as a note's length, count characters.
func Runes(s string, n int) string { return RunesWith(s, n, mark) }

// RunesWith is Runes with a mark of the caller's, such as a note saying
// that text was cut; a mark as long as n leaves only the mark.
func RunesWith(s string, n int, mark string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := max(n-utf8.RuneCountInString(mark), 0)
	return string([]rune(s)[:keep]) + mark
}
