package trayhost

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// layout mirrors fyne.io/systray's menuLayout: (ia{sv}av).
type layout = struct {
	V0 int32
	V1 map[string]dbus.Variant
	V2 []dbus.Variant
}

// px mirrors fyne.io/systray's PX: (iiay).
type px struct {
	W, H int
	Pix  []byte
}

// roundTrip sends body through godbus's wire encoding and decoding, so the
// test sees exactly the shapes a real reply has.
func roundTrip(t *testing.T, body ...any) []any {
	t.Helper()
	msg := &dbus.Message{
		Type:  dbus.TypeMethodReply,
		Flags: dbus.FlagNoReplyExpected,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldReplySerial: dbus.MakeVariant(uint32(1)),
			dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(body...)),
		},
		Body: body,
	}
	var buf bytes.Buffer
	if err := msg.EncodeTo(&buf, binary.LittleEndian); err != nil {
		t.Fatalf("encode: %v", err)
	}
	got, err := dbus.DecodeMessage(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return got.Body
}

// fyneLikeMenu builds a layout the way fyne.io/systray does for a Fyne menu
// with a disabled header, a plain entry, a checked entry, a separator and a
// submenu.
func fyneLikeMenu() *layout {
	item := func(id int32, props map[string]dbus.Variant, children ...*layout) dbus.Variant {
		l := &layout{V0: id, V1: props, V2: []dbus.Variant{}}
		for _, c := range children {
			l.V2 = append(l.V2, dbus.MakeVariant(c))
		}
		return dbus.MakeVariant(l)
	}
	sub := &layout{V0: 6, V1: map[string]dbus.Variant{
		"label": dbus.MakeVariant("Child"), "enabled": dbus.MakeVariant(true),
		"toggle-type": dbus.MakeVariant(""), "toggle-state": dbus.MakeVariant(0),
	}, V2: []dbus.Variant{}}
	return &layout{V0: 0, V1: map[string]dbus.Variant{}, V2: []dbus.Variant{
		item(1, map[string]dbus.Variant{
			"enabled": dbus.MakeVariant(false), "label": dbus.MakeVariant("Listening on http://127.0.0.1:1/v1"),
			"toggle-type": dbus.MakeVariant(""), "toggle-state": dbus.MakeVariant(0),
		}),
		item(2, map[string]dbus.Variant{
			"enabled": dbus.MakeVariant(true), "label": dbus.MakeVariant("Action"),
			"toggle-type": dbus.MakeVariant(""), "toggle-state": dbus.MakeVariant(0),
			"icon-data": dbus.MakeVariant([]byte{0x89, 'P', 'N', 'G'}),
		}),
		item(3, map[string]dbus.Variant{
			"enabled": dbus.MakeVariant(true), "label": dbus.MakeVariant("Use next channel"),
			"toggle-type": dbus.MakeVariant("checkmark"), "toggle-state": dbus.MakeVariant(1),
		}),
		item(4, map[string]dbus.Variant{"type": dbus.MakeVariant("separator")}),
		item(5, map[string]dbus.Variant{
			"label": dbus.MakeVariant("More"), "children-display": dbus.MakeVariant("submenu"),
			"visible": dbus.MakeVariant(false),
		}, sub),
		item(7, map[string]dbus.Variant{}), // no properties at all: all defaults
	}}
}

func TestDecodeGetLayout(t *testing.T) {
	body := roundTrip(t, uint32(42), *fyneLikeMenu())
	root, err := decodeGetLayout(body)
	if err != nil {
		t.Fatal(err)
	}
	if root.Revision != 42 || root.ID != 0 {
		t.Errorf("root: revision %d id %d, want 42 and 0", root.Revision, root.ID)
	}
	if got, want := root.Labels(), []string{"Listening on http://127.0.0.1:1/v1", "Action", "Use next channel", "---", ""}; !slices.Equal(got, want) {
		t.Errorf("Labels() = %q, want %q", got, want)
	}
	h := root.Find("Listening on")
	if h == nil || h.ID != 1 || h.Enabled || !h.Visible || h.ToggleType != "" || h.ToggleState != 0 || h.Checked() {
		t.Errorf("header = %+v", h)
	}
	if a := root.Find("Action"); a == nil || !a.Enabled || !a.IconData || a.Type != "standard" {
		t.Errorf("Action = %+v", a)
	}
	if c := root.Find("Use next"); c == nil || c.ToggleType != "checkmark" || c.ToggleState != 1 || !c.Checked() {
		t.Errorf("Use next channel = %+v", c)
	}
	if s := root.Children[3]; s.ID != 4 || !s.IsSeparator() || !s.Enabled {
		t.Errorf("separator = %+v", s)
	}
	m := root.Find("More")
	if m == nil || m.Visible || m.ChildrenDisplay != "submenu" || len(m.Children) != 1 {
		t.Fatalf("More = %+v", m)
	}
	if c := root.Find("Child"); c == nil || c != m.Children[0] || c.ID != 6 {
		t.Errorf("Child = %+v", c)
	}
	if d := root.Children[5]; d.ID != 7 || !d.Enabled || !d.Visible || d.ToggleState != -1 || d.Type != "standard" || d.Label != "" {
		t.Errorf("defaults = %+v", d)
	}
	if root.Find("Nope") != nil {
		t.Error("found entries that do not exist")
	}

	dump := root.Dump()
	for _, want := range []string{
		"menu (revision 42)",
		`[1] "Listening on http://127.0.0.1:1/v1" disabled`,
		`[2] "Action" +icon`,
		`[3] "Use next channel" [x] checkmark`,
		"[4] ----",
		`[5] "More" hidden children-display=submenu`,
		`    [6] "Child"`,
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("Dump() lacks %q:\n%s", want, dump)
		}
	}
}

func TestDecodeGetLayoutErrors(t *testing.T) {
	for name, body := range map[string][]any{
		"empty":        nil,
		"no revision":  {"x", []any{int32(0), map[string]dbus.Variant{}, []dbus.Variant{}}},
		"short struct": {uint32(1), []any{int32(0), map[string]dbus.Variant{}}},
		"bad label":    {uint32(1), []any{int32(0), map[string]dbus.Variant{"label": dbus.MakeVariant(3)}, []dbus.Variant{}}},
		"bad child":    {uint32(1), []any{int32(0), map[string]dbus.Variant{}, []dbus.Variant{dbus.MakeVariant("x")}}},
	} {
		if n, err := decodeGetLayout(body); err == nil {
			t.Errorf("%s: no error, got %v", name, n)
		}
	}
}

func TestDecodeItemProperties(t *testing.T) {
	pix := px{W: 2, H: 1, Pix: []byte{0xff, 1, 2, 3, 0x80, 4, 5, 6}}
	big := px{W: 3, H: 3, Pix: make([]byte, 36)}
	tooltip := struct {
		V0 string
		V1 []px
		V2 string
		V3 string
	}{V2: "tip"}
	body := roundTrip(t, map[string]dbus.Variant{
		"Id":         dbus.MakeVariant("io.example"),
		"Title":      dbus.MakeVariant("Example"),
		"Status":     dbus.MakeVariant("Active"),
		"IconName":   dbus.MakeVariant(""),
		"IconPixmap": dbus.MakeVariant([]px{pix, big}),
		"ItemIsMenu": dbus.MakeVariant(true),
		"Menu":       dbus.MakeVariant(dbus.ObjectPath("/StatusNotifierMenu")),
		"ToolTip":    dbus.MakeVariant(tooltip),
	})
	raw, ok := body[0].(map[string]dbus.Variant)
	if !ok {
		t.Fatalf("body[0] is %T", body[0])
	}
	p, err := decodeItemProperties(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "io.example" || p.Title != "Example" || p.Status != "Active" || p.Menu != "/StatusNotifierMenu" {
		t.Errorf("properties = %+v", p)
	}
	if len(p.IconPixmaps) != 2 || p.IconPixmaps[0].Width != 2 || p.IconPixmaps[0].Height != 1 {
		t.Fatalf("pixmaps = %v", p.IconPixmaps)
	}
	if got := p.IconPixmaps[0].At(1, 0); got.A != 0x80 || got.R != 4 || got.G != 5 || got.B != 6 {
		t.Errorf("At(1,0) = %v", got)
	}
	if l := p.largestIcon(); l.Width != 3 || l.sum() == p.IconPixmaps[0].sum() {
		t.Errorf("largestIcon() = %v", l)
	}
}

func TestParseService(t *testing.T) {
	for _, tc := range []struct {
		arg, name string
		path      dbus.ObjectPath
	}{
		{"/StatusNotifierItem", ":1.7", "/StatusNotifierItem"},
		{"/org/ayatana/NotificationItem/x", ":1.7", "/org/ayatana/NotificationItem/x"},
		{"org.kde.StatusNotifierItem-12-1", "org.kde.StatusNotifierItem-12-1", DefaultItemPath},
		{":1.9", ":1.9", DefaultItemPath},
		{":1.9/Item", ":1.9", "/Item"},
	} {
		name, path := parseService(":1.7", tc.arg)
		if name != tc.name || path != tc.path {
			t.Errorf("parseService(%q) = %q, %q; want %q, %q", tc.arg, name, path, tc.name, tc.path)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", "HOME=/root"},
		[]string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/x", "DISPLAY=:5"})
	want := []string{"PATH=/bin", "HOME=/root", "DBUS_SESSION_BUS_ADDRESS=unix:path=/x", "DISPLAY=:5"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}
