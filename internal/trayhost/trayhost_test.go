package trayhost_test

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/llmstack/llmstack/internal/trayhost"
)

const (
	header = "Listening on http://127.0.0.1:1/v1"
	toggle = "Use next channel"
)

// TestFyneTray runs the minimal Fyne tray program in testdata/traydemo under
// a private session bus and Xvfb, and drives its menu as a panel would.
func TestFyneTray(t *testing.T) {
	host := trayhost.Start(t)
	bin := trayhost.BuildGo(t, "./testdata/traydemo")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	start := time.Now()
	p := host.StartProcess(t, bin)
	item, err := p.WaitItem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("item %s registered %v after start", item.ID, time.Since(start).Round(time.Millisecond))

	// The item's own properties.
	props, err := item.Properties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if props.Status != "Active" || props.Title == "" || !props.Menu.IsValid() || props.Menu == "/" {
		t.Errorf("properties: Status %q Title %q Menu %q", props.Status, props.Title, props.Menu)
	}
	icon, err := item.IconPixmap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := icon.At(icon.Width/2, icon.Height/2), (color.NRGBA{R: 0x20, G: 0x80, B: 0xe0, A: 0xff}); got != want {
		t.Errorf("icon %v centre pixel = %v, want %v", icon, got, want)
	}
	if corner := icon.At(0, 0); corner.A != 0 {
		t.Errorf("icon %v corner pixel = %v, want transparent", icon, corner)
	}
	t.Logf("properties: Id %q Title %q Status %q Menu %s icon %v", props.ID, props.Title, props.Status, props.Menu, icon)

	// The menu, once Fyne has finished building it (it ends with Quit).
	menu, err := item.WaitLayoutChange(ctx, trayhost.HasLabel("Quit"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("initial %s", menu.Dump())
	if got, want := menu.Labels(), []string{header, "Action", toggle, "---", "Quit"}; !slices.Equal(got, want) {
		t.Errorf("menu labels = %q, want %q\n%s", got, want, menu.Dump())
	}
	if h := menu.Find(header); h == nil || h.Enabled {
		t.Errorf("header entry should be present and disabled:\n%s", menu.Dump())
	}
	if a := menu.Find("Action"); a == nil || !a.Enabled || a.Checked() {
		t.Errorf("Action entry should be enabled and unchecked:\n%s", menu.Dump())
	}
	rev := menu.Revision
	before := menu.Find(toggle)
	if before == nil || !before.Enabled || before.Checked() {
		t.Fatalf("%q should be enabled and unchecked:\n%s", toggle, menu.Dump())
	}

	// Click it: checked, and the program says so.
	menu, err = item.ClickUntil(ctx, toggle, checked(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitOutput(ctx, "toggled true"); err != nil {
		t.Fatal(err)
	}
	after := menu.Find(toggle)
	t.Logf("after the first click (id %d → %d, revision %d → %d): %s", before.ID, after.ID, rev, menu.Revision, menu.Dump())
	if after.ToggleType != "checkmark" || after.ToggleState != 1 {
		t.Errorf("checked entry: toggle-type %q toggle-state %d, want checkmark/1", after.ToggleType, after.ToggleState)
	}

	// Click again: unchecked.
	menu, err = item.ClickUntil(ctx, toggle, checked(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitOutput(ctx, "toggled false"); err != nil {
		t.Fatal(err)
	}
	if got, want := menu.Labels(), []string{header, "Action", toggle, "---", "Quit"}; !slices.Equal(got, want) {
		// A refresh may still be filling the menu in; wait for it to settle.
		menu, err = item.WaitLayoutChange(ctx, func(m *trayhost.MenuNode) bool { return slices.Equal(m.Labels(), want) })
		if err != nil {
			t.Errorf("menu after two clicks: %v", err)
		}
	}

	// Each click was delivered exactly once.
	var toggles []string
	for _, l := range p.StdoutLines() {
		if strings.HasPrefix(l, "toggled ") {
			toggles = append(toggles, l)
		}
	}
	if want := []string{"toggled true", "toggled false"}; !slices.Equal(toggles, want) {
		t.Errorf("stdout toggles = %q, want %q", toggles, want)
	}
	// Stopping the program unregisters the item.
	p.Stop()
	select {
	case <-item.Gone():
	case <-ctx.Done():
		t.Fatal("item not gone after the program stopped")
	}
}

// checked is a ClickUntil condition: the toggle entry exists with the given
// state and the menu is complete again (Fyne rebuilds it on every refresh).
func checked(want bool) func(*trayhost.MenuNode) bool {
	return func(m *trayhost.MenuNode) bool {
		n := m.Find(toggle)
		return n != nil && n.Checked() == want && m.Find("Quit") != nil
	}
}

// TestNotifications sends a notification over the private bus as a desktop
// program does and finds it recorded.
func TestNotifications(t *testing.T) {
	host := trayhost.Start(t)
	conn, err := dbus.Connect(host.BusAddress())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	obj := conn.Object(trayhost.NotificationsName, trayhost.NotificationsPath)
	call := obj.Call(trayhost.NotificationsInterface+".Notify", 0, "demo", uint32(0), "", "Title", "Body text", []string{}, map[string]dbus.Variant{}, int32(0))
	var id uint32
	if err := call.Store(&id); err != nil || id == 0 {
		t.Fatalf("Notify: id %d, %v", id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := host.WaitNotification(ctx, trayhost.NotificationWith("Title", "Body"))
	if err != nil {
		t.Fatal(err)
	}
	if n.AppName != "demo" || n.Body != "Body text" {
		t.Errorf("recorded %+v", n)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := host.WaitNotification(ctx2, trayhost.NotificationWith("Other", "")); err == nil || !strings.Contains(err.Error(), `"Title": "Body text"`) {
		t.Errorf("a wait that finds nothing should list what was seen: %v", err)
	}
}
