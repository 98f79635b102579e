package trayhost

import (
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// watcherInterface describes org.kde.StatusNotifierWatcher for Introspect.
var watcherInterface = introspect.Interface{
	Name: WatcherInterface,
	Methods: []introspect.Method{
		{Name: "RegisterStatusNotifierItem", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
		{Name: "RegisterStatusNotifierHost", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
	},
	Signals: []introspect.Signal{
		{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierHostRegistered"},
		{Name: "StatusNotifierHostUnregistered"},
	},
	Properties: []introspect.Property{
		{Name: "RegisteredStatusNotifierItems", Type: "as", Access: "read"},
		{Name: "IsStatusNotifierHostRegistered", Type: "b", Access: "read"},
		{Name: "ProtocolVersion", Type: "i", Access: "read"},
	},
}

// watcher is the object exported at /StatusNotifierWatcher. Its exported
// methods are exactly the D-Bus methods of org.kde.StatusNotifierWatcher.
type watcher struct{ h *Host }

// watcherProps wraps the exported properties.
type watcherProps struct {
	props *prop.Properties
}

// RegisterStatusNotifierItem records an item. service is either an object
// path (the item lives on the caller's connection at that path; this is what
// fyne.io/systray sends: "/StatusNotifierItem"), a bus name (the item is at
// /StatusNotifierItem on that name; libappindicator style), or "name/path".
func (w watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	return w.h.register(string(sender), service)
}

// RegisterStatusNotifierHost accepts and ignores hosts: this watcher always
// reports a host (itself) as registered.
func (w watcher) RegisterStatusNotifierHost(sender dbus.Sender, service string) *dbus.Error {
	return nil
}

// connect connects to the private bus, exports the watcher and (when
// claim is set) claims its name, and starts dispatching the signals items
// send.
func (h *Host) connect(claim bool) error {
	conn, err := dbus.Connect(h.busAddr)
	if err != nil {
		return fmt.Errorf("connecting to the private bus: %w", err)
	}
	h.conn = conn
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()

	if err := conn.Export(watcher{h}, WatcherPath, WatcherInterface); err != nil {
		return fmt.Errorf("exporting the watcher: %w", err)
	}
	props, err := prop.Export(conn, WatcherPath, map[string]map[string]*prop.Prop{
		WatcherInterface: {
			// EmitFalse: SetMust then cannot fail (and panic) on a closed
			// connection; signals tell clients about changes instead.
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitFalse},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		return fmt.Errorf("exporting the watcher's properties: %w", err)
	}
	h.watchers = &watcherProps{props: props}
	node := &introspect.Node{
		Name: string(WatcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			watcherInterface,
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), WatcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("exporting introspection: %w", err)
	}

	// Subscribe before claiming the name so no early signal is missed.
	matches := [][]dbus.MatchOption{
		{dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")},
		{dbus.WithMatchInterface(MenuInterface)},
		{dbus.WithMatchInterface(ItemInterface)},
		{dbus.WithMatchInterface("org.freedesktop.DBus.Properties"), dbus.WithMatchMember("PropertiesChanged")},
	}
	for _, m := range matches {
		if err := conn.AddMatchSignal(m...); err != nil {
			return fmt.Errorf("adding a signal match: %w", err)
		}
	}
	sigs := make(chan *dbus.Signal, 256)
	conn.Signal(sigs)
	go h.dispatch(sigs)

	if !claim {
		ok = true
		return nil
	}
	reply, err := conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", WatcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("requesting %s: not the primary owner (reply %d)", WatcherName, reply)
	}
	ok = true
	return nil
}

// register handles RegisterStatusNotifierItem (called on a godbus handler
// goroutine, so it may make calls of its own).
func (h *Host) register(sender, service string) *dbus.Error {
	busName, path := parseService(sender, service)
	if !path.IsValid() || busName == "" {
		return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs",
			[]any{fmt.Sprintf("invalid StatusNotifierItem %q", service)})
	}
	owner := busName
	if !strings.HasPrefix(busName, ":") {
		var o string
		if err := h.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, busName).Store(&o); err != nil {
			return dbus.NewError("org.freedesktop.DBus.Error.NameHasNoOwner",
				[]any{fmt.Sprintf("%s has no owner: %v", busName, err)})
		}
		owner = o
	}
	var pid uint32
	_ = h.conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, owner).Store(&pid)
	id := busName + string(path)

	h.mu.Lock()
	for _, it := range h.items {
		if it.ID == id && it.Owner == owner && !it.isGone() {
			h.mu.Unlock()
			return nil // the same item registering again (systray re-registers when the watcher reappears)
		}
	}
	it := newItem(h, id, busName, path)
	it.Owner, it.pid = owner, int(pid)
	h.items = append(h.items, it)
	h.notifyLocked()
	ids := h.registeredIDsLocked()
	h.mu.Unlock()

	h.watchers.props.SetMust(WatcherInterface, "RegisteredStatusNotifierItems", ids)
	h.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierItemRegistered", id)
	return nil
}

// parseService splits a RegisterStatusNotifierItem argument into the item's
// bus name and object path.
func parseService(sender, service string) (string, dbus.ObjectPath) {
	switch {
	case strings.HasPrefix(service, "/"):
		return sender, dbus.ObjectPath(service)
	case strings.Contains(service, "/"):
		name, path, _ := strings.Cut(service, "/")
		return name, dbus.ObjectPath("/" + path)
	default:
		return service, DefaultItemPath
	}
}

func (h *Host) registeredIDsLocked() []string {
	ids := []string{}
	for _, it := range h.items {
		if !it.isGone() {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// dispatch routes signals to the items whose connection sent them, and
// notices items leaving the bus.
func (h *Host) dispatch(sigs <-chan *dbus.Signal) {
	for sig := range sigs {
		if sig == nil {
			return
		}
		if sig.Name == "org.freedesktop.DBus.NameOwnerChanged" {
			h.nameOwnerChanged(sig)
			continue
		}
		for _, it := range h.registered() {
			if it.Owner == sig.Sender && !it.isGone() {
				it.signal(sig)
			}
		}
	}
}

func (h *Host) nameOwnerChanged(sig *dbus.Signal) {
	if len(sig.Body) < 3 {
		return
	}
	name, _ := sig.Body[0].(string)
	newOwner, _ := sig.Body[2].(string)
	if newOwner != "" {
		return
	}
	var gone []*Item
	h.mu.Lock()
	for _, it := range h.items {
		if (it.Owner == name || it.Service == name) && !it.isGone() {
			it.markGone()
			gone = append(gone, it)
		}
	}
	var ids []string
	if len(gone) > 0 {
		h.notifyLocked()
		ids = h.registeredIDsLocked()
	}
	h.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	h.watchers.props.SetMust(WatcherInterface, "RegisteredStatusNotifierItems", ids)
	for _, it := range gone {
		h.conn.Emit(WatcherPath, WatcherInterface+".StatusNotifierItemUnregistered", it.ID)
	}
}
