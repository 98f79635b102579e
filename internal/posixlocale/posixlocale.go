// Package posixlocale keeps Fyne quiet under a POSIX locale such as
// C.UTF-8, the default of many Debian and Ubuntu containers and CI images.
//
// Fyne reads the locale when its lang package initializes and logs "Error
// parsing user locale C" for any name like C.UTF-8, on every command,
// although nothing is wrong. Under such a locale this package sets
// LANGUAGE=en (which gettext ignores in the C locale, so child processes
// behave as before), and Fyne reads English instead.
//
// Its init must run before Fyne's: it imports only the standard library,
// so Go's initialization order (Go 1.21 and later: the first ready
// package by import path) runs it as soon as os is ready, ahead of the
// packages Fyne's lang package waits for.
package posixlocale

import (
	"os"
	"strings"
)

// Applied reports whether LANGUAGE was set here.
var Applied bool

func init() {
	Applied = apply(os.Getenv, os.Setenv)
}

func apply(getenv func(string) string, setenv func(string, string) error) bool {
	if getenv("LANGUAGE") != "" {
		return false
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
			return setenv("LANGUAGE", "en") == nil
		}
		return false
	}
	return false
}
