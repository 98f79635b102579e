package trayhost_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/llmstack/llmstack/internal/trayhost"
)

// fakeLayout is dbusmenu's (ia{sv}av).
type fakeLayout struct {
	V0 int32
	V1 map[string]dbus.Variant
	V2 []dbus.Variant
}

type fakePixmap struct {
	W, H int32
	Pix  []byte
}

// fakeMenu is a com.canonical.dbusmenu object with one checkbox entry. It
// can drop clicks, as fyne.io/systray does when nobody receives them, and it
// announces changes with ItemsPropertiesUpdated only (not LayoutUpdated).
type fakeMenu struct {
	conn *dbus.Conn

	mu       sync.Mutex
	rev      uint32
	checked  bool
	drop     int // clicks still to drop
	received int // clicks received, dropped or not
	applied  int // clicks that toggled the entry
}

func (m *fakeMenu) GetLayout(parent, depth int32, names []string) (uint32, fakeLayout, *dbus.Error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	state := int32(0)
	if m.checked {
		state = 1
	}
	entry := fakeLayout{V0: 7, V1: map[string]dbus.Variant{
		"label":        dbus.MakeVariant("_Toggle"),
		"toggle-type":  dbus.MakeVariant("checkmark"),
		"toggle-state": dbus.MakeVariant(state),
	}, V2: []dbus.Variant{}}
	return m.rev, fakeLayout{V0: 0, V1: map[string]dbus.Variant{"children-display": dbus.MakeVariant("submenu")}, V2: []dbus.Variant{dbus.MakeVariant(entry)}}, nil
}

func (m *fakeMenu) AboutToShow(id int32) (bool, *dbus.Error) { return false, nil }

func (m *fakeMenu) Event(id int32, eventID string, data dbus.Variant, ts uint32) *dbus.Error {
	if eventID != "clicked" || id != 7 {
		return nil
	}
	m.mu.Lock()
	m.received++
	if m.drop > 0 {
		m.drop--
		m.mu.Unlock()
		return nil
	}
	m.applied++
	m.checked = !m.checked
	m.rev++
	m.mu.Unlock()
	updated := []struct {
		V0 int32
		V1 map[string]dbus.Variant
	}{{7, map[string]dbus.Variant{"toggle-state": dbus.MakeVariant(int32(1))}}}
	removed := []struct {
		V0 int32
		V1 []string
	}{}
	m.conn.Emit("/Menu", trayhost.MenuInterface+".ItemsPropertiesUpdated", updated, removed)
	return nil
}

func (m *fakeMenu) counts() (received, applied int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.received, m.applied
}

// TestFakeItem checks the harness against an item written here with godbus:
// registration by well-known bus name, a dropped click, ItemsPropertiesUpdated,
// an icon change and unregistration. It needs dbus-daemon (and, through Start,
// Xvfb) but no Fyne.
func TestFakeItem(t *testing.T) {
	host := trayhost.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	conn, err := dbus.Connect(host.BusAddress())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	menu := &fakeMenu{conn: conn, rev: 1, drop: 1}
	if err := conn.Export(menu, "/Menu", trayhost.MenuInterface); err != nil {
		t.Fatal(err)
	}
	red := fakePixmap{W: 1, H: 1, Pix: []byte{0xff, 0xff, 0, 0}}
	big := fakePixmap{W: 2, H: 2, Pix: []byte{0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff}}
	props, err := prop.Export(conn, trayhost.DefaultItemPath, map[string]map[string]*prop.Prop{
		trayhost.ItemInterface: {
			"Id":         {Value: "fake"},
			"Title":      {Value: "Fake"},
			"Status":     {Value: "Active"},
			"Menu":       {Value: dbus.ObjectPath("/Menu")},
			"IconPixmap": {Value: []fakePixmap{red, big}, Emit: prop.EmitFalse},
			"ToolTip": {Value: struct {
				V0 string
				V1 []fakePixmap
				V2 string
				V3 string
			}{V2: "hello"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-9", os.Getpid())
	if _, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	watcher := conn.Object(trayhost.WatcherName, trayhost.WatcherPath)
	if err := watcher.CallWithContext(ctx, trayhost.WatcherInterface+".RegisterStatusNotifierItem", 0, name).Err; err != nil {
		t.Fatal(err)
	}
	// Registering twice is harmless.
	if err := watcher.CallWithContext(ctx, trayhost.WatcherInterface+".RegisterStatusNotifierItem", 0, name).Err; err != nil {
		t.Fatal(err)
	}

	item, err := host.WaitItemForPID(ctx, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if item.Service != name || item.Path != trayhost.DefaultItemPath || item.Owner != conn.Names()[0] || item.ID != name+"/StatusNotifierItem" {
		t.Errorf("item = %+v", item)
	}
	var registered []string
	if err := watcher.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, trayhost.WatcherInterface, "RegisteredStatusNotifierItems").Store(&registered); err != nil {
		t.Fatal(err)
	}
	if len(registered) != 1 || registered[0] != item.ID {
		t.Errorf("RegisteredStatusNotifierItems = %q, want [%q]", registered, item.ID)
	}
	var hostOK bool
	if err := watcher.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, trayhost.WatcherInterface, "IsStatusNotifierHostRegistered").Store(&hostOK); err != nil || !hostOK {
		t.Errorf("IsStatusNotifierHostRegistered = %v, %v", hostOK, err)
	}

	p, err := item.Properties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Fake" || p.Menu != "/Menu" || len(p.IconPixmaps) != 2 {
		t.Errorf("properties = %+v", p)
	}
	icon, err := item.IconPixmap(ctx)
	if err != nil || icon.Width != 2 {
		t.Fatalf("IconPixmap = %v, %v; want the 2x2 one", icon, err)
	}

	// The first click is dropped; ClickUntil notices and clicks again.
	m, err := item.ClickUntil(ctx, "_Tog", func(m *trayhost.MenuNode) bool { return m.Find("_Toggle").Checked() })
	if err != nil {
		t.Fatal(err)
	}
	if received, applied := menu.counts(); received != 2 || applied != 1 {
		t.Errorf("clicks received %d applied %d, want 2 and 1", received, applied)
	}
	if m.Revision != 2 {
		t.Errorf("revision %d, want 2", m.Revision)
	}
	// A click that is not dropped is sent once.
	if _, err := item.ClickUntil(ctx, "_Tog", func(m *trayhost.MenuNode) bool { return !m.Find("_Toggle").Checked() }); err != nil {
		t.Fatal(err)
	}
	if received, applied := menu.counts(); received != 3 || applied != 2 {
		t.Errorf("clicks received %d applied %d, want 3 and 2", received, applied)
	}

	// A new icon is read as it is now.
	green := fakePixmap{W: 4, H: 4, Pix: make([]byte, 64)}
	for i := 0; i < 64; i += 4 {
		green.Pix[i], green.Pix[i+2] = 0xff, 0xff
	}
	props.SetMust(trayhost.ItemInterface, "IconPixmap", []fakePixmap{green})
	if icon, err := item.IconPixmap(ctx); err != nil || icon.Width != 4 || icon.At(3, 3).G != 0xff || icon.At(3, 3).R != 0 {
		t.Errorf("new icon = %v (pixel %v), %v; want the green 4x4 one", icon, icon.At(3, 3), err)
	}

	// Leaving the bus unregisters the item.
	conn.Close()
	select {
	case <-item.Gone():
	case <-ctx.Done():
		t.Fatal("item not gone after its connection closed")
	}
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	if it, err := host.WaitItemForPID(wctx, os.Getpid()); err == nil {
		t.Errorf("WaitItem returned %v after the only item left", it)
	}
}
