//go:build !(linux || freebsd || openbsd || netbsd)

package app

// trayLabel is the identity where menu labels are shown as written.
func trayLabel(s string) string { return s }
