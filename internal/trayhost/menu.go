package trayhost

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/godbus/dbus/v5"
)

// MenuNode is one entry of a com.canonical.dbusmenu menu, decoded from the
// (ia{sv}av) layout GetLayout returns, with the specification's defaults
// applied to absent properties.
type MenuNode struct {
	ID          int32
	Label       string // "label", raw (dbusmenu marks mnemonics with '_')
	Enabled     bool   // "enabled", default true
	Visible     bool   // "visible", default true
	ToggleType  string // "toggle-type": "checkmark", "radio" or "" (default)
	ToggleState int32  // "toggle-state": 0 off, 1 on, else indeterminate (default -1)
	Type        string // "type": "standard" (default) or "separator"
	IconData    bool   // whether "icon-data" (PNG bytes) is set and non-empty
	// ChildrenDisplay is "submenu" for an entry with a submenu.
	ChildrenDisplay string
	Children        []*MenuNode
	// Revision is the layout revision GetLayout returned; set on the root.
	Revision uint32
}

// Checked reports whether the entry shows a tick: a checkmark or radio
// entry whose toggle-state is 1.
func (n *MenuNode) Checked() bool {
	return n != nil && n.ToggleType != "" && n.ToggleState == 1
}

// IsSeparator reports whether the entry is a separator.
func (n *MenuNode) IsSeparator() bool { return n != nil && n.Type == "separator" }

// Walk calls fn for n's descendants, depth first, in menu order (not n).
func (n *MenuNode) Walk(fn func(*MenuNode)) {
	if n == nil {
		return
	}
	for _, c := range n.Children {
		fn(c)
		c.Walk(fn)
	}
}

// Find returns the first descendant (depth first, in menu order) whose label
// starts with prefix, or nil.
func (n *MenuNode) Find(prefix string) *MenuNode {
	var found *MenuNode
	n.Walk(func(c *MenuNode) {
		if found == nil && !c.IsSeparator() && strings.HasPrefix(c.Label, prefix) {
			found = c
		}
	})
	return found
}

// Labels returns the labels of n's direct children that are visible, with
// "---" for separators: the menu as a person sees its first level.
func (n *MenuNode) Labels() []string {
	var out []string
	if n == nil {
		return out
	}
	for _, c := range n.Children {
		if !c.Visible {
			continue
		}
		if c.IsSeparator() {
			out = append(out, "---")
		} else {
			out = append(out, c.Label)
		}
	}
	return out
}

// HasLabel returns a condition for WaitLayoutChange: some entry's label
// starts with prefix.
func HasLabel(prefix string) func(*MenuNode) bool {
	return func(m *MenuNode) bool { return m.Find(prefix) != nil }
}

// String is Dump.
func (n *MenuNode) String() string { return n.Dump() }

// Dump renders the menu tree, one entry a line, for test failure messages:
//
//	menu (revision 7)
//	  [1] "Listening on http://127.0.0.1:1/v1" disabled
//	  [2] "Action"
//	  [3] "Use next channel" [x] checkmark
//	  [4] ----
//	  [5] "Quit"
func (n *MenuNode) Dump() string {
	if n == nil {
		return "(no menu)"
	}
	var b strings.Builder
	if n.ID == 0 {
		fmt.Fprintf(&b, "menu (revision %d)", n.Revision)
		if len(n.Children) == 0 {
			b.WriteString(" (empty)")
		}
		b.WriteByte('\n')
		for _, c := range n.Children {
			c.dump(&b, 1)
		}
	} else {
		n.dump(&b, 0)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (n *MenuNode) dump(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	fmt.Fprintf(b, "[%d] ", n.ID)
	if n.IsSeparator() {
		b.WriteString("----")
	} else {
		fmt.Fprintf(b, "%q", n.Label)
		switch {
		case n.ToggleType == "":
		case n.ToggleState == 1:
			fmt.Fprintf(b, " [x] %s", n.ToggleType)
		case n.ToggleState == 0:
			fmt.Fprintf(b, " [ ] %s", n.ToggleType)
		default:
			fmt.Fprintf(b, " [?] %s state=%d", n.ToggleType, n.ToggleState)
		}
		if n.Type != "standard" {
			fmt.Fprintf(b, " type=%s", n.Type)
		}
	}
	if !n.Enabled {
		b.WriteString(" disabled")
	}
	if !n.Visible {
		b.WriteString(" hidden")
	}
	if n.IconData {
		b.WriteString(" +icon")
	}
	if n.ChildrenDisplay != "" {
		fmt.Fprintf(b, " children-display=%s", n.ChildrenDisplay)
	}
	b.WriteByte('\n')
	for _, c := range n.Children {
		c.dump(b, depth+1)
	}
}

// decodeGetLayout decodes the body of a GetLayout reply: (u (ia{sv}av)).
func decodeGetLayout(body []any) (*MenuNode, error) {
	if len(body) != 2 {
		return nil, fmt.Errorf("reply has %d values, want 2 (revision, layout)", len(body))
	}
	rev, ok := body[0].(uint32)
	if !ok {
		return nil, fmt.Errorf("revision is %T, want uint32", body[0])
	}
	root, err := decodeNode(body[1], 0)
	if err != nil {
		return nil, err
	}
	root.Revision = rev
	return root, nil
}

// decodeNode decodes one (ia{sv}av) layout. godbus delivers a struct as a
// []any of its fields, both at the top level and inside the av variants.
func decodeNode(v any, depth int) (*MenuNode, error) {
	if depth > 64 {
		return nil, fmt.Errorf("menu nested deeper than 64 levels")
	}
	if vv, ok := v.(dbus.Variant); ok {
		v = vv.Value()
	}
	f, err := structFields(v, 3)
	if err != nil {
		return nil, fmt.Errorf("menu entry: %w", err)
	}
	id, ok := toInt64(f[0])
	if !ok {
		return nil, fmt.Errorf("menu entry id is %T, want int32", f[0])
	}
	n := &MenuNode{
		ID:          int32(id),
		Enabled:     true,
		Visible:     true,
		ToggleState: -1,
		Type:        "standard",
	}
	props, err := variantMap(f[1])
	if err != nil {
		return nil, fmt.Errorf("menu entry %d properties: %w", n.ID, err)
	}
	for k, val := range props {
		if err := n.setProp(k, val); err != nil {
			return nil, fmt.Errorf("menu entry %d: %w", n.ID, err)
		}
	}
	children, err := anySlice(f[2])
	if err != nil {
		return nil, fmt.Errorf("menu entry %d children: %w", n.ID, err)
	}
	for _, c := range children {
		cn, err := decodeNode(c, depth+1)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, cn)
	}
	return n, nil
}

func (n *MenuNode) setProp(k string, v any) error {
	wrong := func(want string) error { return fmt.Errorf("property %q is %T, want %s", k, v, want) }
	var ok bool
	switch k {
	case "label":
		if n.Label, ok = v.(string); !ok {
			return wrong("string")
		}
	case "enabled":
		if n.Enabled, ok = v.(bool); !ok {
			return wrong("bool")
		}
	case "visible":
		if n.Visible, ok = v.(bool); !ok {
			return wrong("bool")
		}
	case "type":
		if n.Type, ok = v.(string); !ok {
			return wrong("string")
		}
		if n.Type == "" {
			n.Type = "standard"
		}
	case "toggle-type":
		if n.ToggleType, ok = v.(string); !ok {
			return wrong("string")
		}
	case "toggle-state":
		i, ok := toInt64(v)
		if !ok {
			return wrong("int32")
		}
		n.ToggleState = int32(i)
	case "icon-data":
		b, ok := v.([]byte)
		if !ok {
			return wrong("[]byte")
		}
		n.IconData = len(b) > 0
	case "children-display":
		if n.ChildrenDisplay, ok = v.(string); !ok {
			return wrong("string")
		}
	}
	return nil
}

// variantMap accepts a{sv} as godbus decodes it (map[string]dbus.Variant)
// and returns the unwrapped values.
func variantMap(v any) (map[string]any, error) {
	out := map[string]any{}
	switch m := v.(type) {
	case map[string]dbus.Variant:
		for k, val := range m {
			out[k] = unwrap(val)
		}
	case map[string]any:
		for k, val := range m {
			out[k] = unwrap(val)
		}
	default:
		return nil, fmt.Errorf("got %T, want a{sv}", v)
	}
	return out, nil
}

func unwrap(v any) any {
	for {
		vv, ok := v.(dbus.Variant)
		if !ok {
			return v
		}
		v = vv.Value()
	}
}

// structFields returns the n fields of a D-Bus struct as godbus decodes it
// ([]any), unwrapping a variant around it.
func structFields(v any, n int) ([]any, error) {
	v = unwrap(v)
	f, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("got %T, want a struct of %d fields", v, n)
	}
	if len(f) != n {
		return nil, fmt.Errorf("struct has %d fields, want %d", len(f), n)
	}
	return f, nil
}

// anySlice returns the elements of any slice (av arrives as []dbus.Variant,
// a(...) as [][]any) as []any; nil stays empty.
func anySlice(v any) ([]any, error) {
	v = unwrap(v)
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("got %T, want an array", v)
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

// toInt64 accepts any D-Bus integer type.
func toInt64(v any) (int64, bool) {
	switch i := unwrap(v).(type) {
	case int32:
		return int64(i), true
	case int64:
		return i, true
	case int16:
		return int64(i), true
	case uint32:
		return int64(i), true
	case uint16:
		return int64(i), true
	case uint64:
		return int64(i), true
	case byte:
		return int64(i), true
	case int:
		return int64(i), true
	}
	return 0, false
}
