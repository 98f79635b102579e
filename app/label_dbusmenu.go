//go:build linux || freebsd || openbsd || netbsd

package app

import "strings"

// trayLabel escapes a label for com.canonical.dbusmenu, where a single
// underscore marks an access key and is not shown: model names such as
// "Qwen_Qwen3" would lose their underscores.
func trayLabel(s string) string {
	return strings.ReplaceAll(s, "_", "__")
}
