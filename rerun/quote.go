package rerun

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Quote quotes s for a POSIX shell: single quotes around it, each ' written
// as '\”. Every byte inside single quotes is literal, so no expansion,
// globbing or word splitting can touch the value.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// CheckScriptable refuses what cannot appear in a script faithfully: a NUL
// byte (no process can receive it) or invalid UTF-8 (editors and terminals
// mangle it). what names the value in the error.
func CheckScriptable(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s contains a NUL byte and cannot be written into a script", what)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8 and cannot be written into a script faithfully", what)
	}
	return nil
}

// EnvSuffix turns a dataset name into the suffix of its REPRO_DATA_
// variable: characters other than letters, digits and '_' become '_'.
func EnvSuffix(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
