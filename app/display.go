package app

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// NoDisplay says why a tray cannot be shown on this machine, or "" when it
// can. Only Linux and the BSDs can lack a display.
func NoDisplay() string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return ""
	}
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	display := os.Getenv("DISPLAY")
	if display == "" {
		return "no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
	}
	// A local display ":N" must have its X socket; Fyne cannot recover
	// from failing to open it.
	if strings.HasPrefix(display, ":") {
		num, _, _ := strings.Cut(display[1:], ".")
		sock := "/tmp/.X11-unix/X" + num
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			return fmt.Sprintf("the X display %s does not answer (%s)", display, sock)
		}
		conn.Close()
	}
	return ""
}

// NoTrayHost says why a tray icon would not show up on this desktop, or ""
// when a StatusNotifierItem host is present. Only Linux and the BSDs use
// one; GNOME without the AppIndicator extension has none.
func NoTrayHost() string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return ""
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return "no D-Bus session bus, so no system tray: " + err.Error()
	}
	defer conn.Close()
	var owner string
	err = conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owner)
	if err != nil || owner == "" {
		return "this desktop has no system tray host (StatusNotifierWatcher); on GNOME install the AppIndicator extension"
	}
	return ""
}
