package trayhost

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of the desktop notification service (the Desktop
// Notifications Specification, version 1.2).
const (
	NotificationsName      = "org.freedesktop.Notifications"
	NotificationsPath      = dbus.ObjectPath("/org/freedesktop/Notifications")
	NotificationsInterface = "org.freedesktop.Notifications"
)

// Notification is one Notify call the host's notification service got.
type Notification struct {
	AppName string
	Summary string // the title
	Body    string
}

func (n Notification) String() string { return fmt.Sprintf("%q: %q", n.Summary, n.Body) }

// notifications plays the desktop's notification daemon on the private
// bus: it records every notification instead of showing it.
type notifications struct {
	mu      sync.Mutex
	got     []Notification
	changed chan struct{}
	next    uint32
}

// Notify records a notification (the D-Bus method).
func (n *notifications) Notify(appName string, replacesID uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, Notification{AppName: appName, Summary: summary, Body: body})
	close(n.changed)
	n.changed = make(chan struct{})
	n.next++
	return n.next, nil
}

// CloseNotification is accepted and ignored.
func (n *notifications) CloseNotification(id uint32) *dbus.Error { return nil }

// GetCapabilities says the service shows a body.
func (n *notifications) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }

// GetServerInformation names the service.
func (n *notifications) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "trayhost", "llmstack", "1", "1.2", nil
}

// startNotifications exports the service on its own connection and claims
// its name.
func (h *Host) startNotifications() error {
	conn, err := dbus.Connect(h.busAddr)
	if err != nil {
		return fmt.Errorf("connecting the notification service to the private bus: %w", err)
	}
	h.notes = &notifications{changed: make(chan struct{})}
	if err := conn.Export(h.notes, NotificationsPath, NotificationsInterface); err != nil {
		conn.Close()
		return fmt.Errorf("exporting the notification service: %w", err)
	}
	reply, err := conn.RequestName(NotificationsName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return fmt.Errorf("claiming %s: %v (reply %v)", NotificationsName, err, reply)
	}
	h.notesConn = conn
	return nil
}

// WaitNotification waits for a notification (sent since the host started)
// that match accepts, and returns it.
func (h *Host) WaitNotification(ctx context.Context, match func(Notification) bool) (Notification, error) {
	for {
		h.notes.mu.Lock()
		ch, got := h.notes.changed, append([]Notification(nil), h.notes.got...)
		h.notes.mu.Unlock()
		for _, n := range got {
			if match(n) {
				return n, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			var seen []string
			for _, n := range got {
				seen = append(seen, "\t"+n.String())
			}
			return Notification{}, fmt.Errorf("trayhost: no such notification (%d seen):\n%s\n%w", len(got), strings.Join(seen, "\n"), context.Cause(ctx))
		}
	}
}

// NotificationWith matches a notification whose title and body contain
// the given strings.
func NotificationWith(summary, body string) func(Notification) bool {
	return func(n Notification) bool {
		return strings.Contains(n.Summary, summary) && strings.Contains(n.Body, body)
	}
}
