package app

import (
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/trayhost"
)

func TestNoDisplay(t *testing.T) {
	tests := []struct {
		display, wayland string
		want             string
	}{
		{"", "", "no graphical display"},
		{"", "wayland-0", ""},
		{":987", "", "the X display :987 does not answer"},
		{"remote.example:0", "", ""}, // remote displays are not probed
	}
	for _, tt := range tests {
		t.Setenv("DISPLAY", tt.display)
		t.Setenv("WAYLAND_DISPLAY", tt.wayland)
		got := NoDisplay()
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: %q, want %q", tt.display, tt.wayland, got, tt.want)
		}
	}
}

func TestNoTrayHost(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	if got := NoTrayHost(); !strings.Contains(got, "no D-Bus session bus") {
		t.Errorf("without a bus: %q", got)
	}
	host := trayhost.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", host.BusAddress())
	t.Setenv("DISPLAY", host.Display())
	if got := NoTrayHost(); got != "" {
		t.Errorf("with a StatusNotifierWatcher on the bus: %q", got)
	}
}
