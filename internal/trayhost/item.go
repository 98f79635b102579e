package trayhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/color"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// pollInterval is how often WaitLayoutChange re-reads the menu when no
// change signal arrives. Signals make waits fast; polling makes them correct
// even for changes an item does not signal (fyne.io/systray adds menu
// entries without emitting LayoutUpdated for each).
const pollInterval = 200 * time.Millisecond

// clickRetryAfter is how long ClickUntil waits for a click to show an effect
// before it concludes the click was dropped and sends it again.
const clickRetryAfter = 3 * time.Second

// Item is one registered StatusNotifierItem.
type Item struct {
	h *Host

	// ID is the item as listed in RegisteredStatusNotifierItems: its bus
	// name followed by its object path, such as ":1.3/StatusNotifierItem".
	ID string
	// Service is the bus name calls are sent to: the registering
	// connection's unique name when it registered an object path (as
	// fyne.io/systray does), else the bus name it registered.
	Service string
	// Path is the item's object path.
	Path dbus.ObjectPath
	// Owner is the unique name owning Service when the item registered.
	Owner string
	// pid is the registering process as the bus daemon reports it (0 when
	// unknown).
	pid int

	goneOnce sync.Once
	gone     chan struct{}

	mu       sync.Mutex
	menuPath dbus.ObjectPath
	signals  map[string]int
	layoutCh chan struct{} // closed (and replaced) on a menu change signal
}

func newItem(h *Host, id, service string, path dbus.ObjectPath) *Item {
	return &Item{
		h:        h,
		ID:       id,
		Service:  service,
		Path:     path,
		gone:     make(chan struct{}),
		signals:  map[string]int{},
		layoutCh: make(chan struct{}),
	}
}

func (it *Item) String() string {
	return fmt.Sprintf("StatusNotifierItem %s (pid %d)", it.ID, it.pid)
}

// Gone is closed when the item's connection leaves the bus (the program
// exited or closed its D-Bus connection).
func (it *Item) Gone() <-chan struct{} { return it.gone }

func (it *Item) isGone() bool {
	select {
	case <-it.gone:
		return true
	default:
		return false
	}
}

func (it *Item) markGone() { it.goneOnce.Do(func() { close(it.gone) }) }

// signalSummary sums up the signals received, such as
// "LayoutUpdated×3 NewIcon×1", for failure messages.
func (it *Item) signalSummary() string {
	it.mu.Lock()
	defer it.mu.Unlock()
	names := make([]string, 0, len(it.signals))
	for n := range it.signals {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s×%d", n, it.signals[n])
	}
	return b.String()
}

// signal is called by the host's dispatcher for each signal this item's
// connection sends.
func (it *Item) signal(sig *dbus.Signal) {
	iface, member := splitMember(sig.Name)
	it.mu.Lock()
	defer it.mu.Unlock()
	it.signals[member]++
	layout := false
	switch iface {
	case MenuInterface: // LayoutUpdated, ItemsPropertiesUpdated, ItemActivationRequested
		layout = true
	case ItemInterface: // NewIcon, NewTitle, NewToolTip, NewStatus, NewMenu, ...
		if member == "NewMenu" {
			it.menuPath = ""
			layout = true
		}
	case "org.freedesktop.DBus.Properties":
		changed, _ := firstString(sig.Body)
		switch changed {
		case MenuInterface: // the menu's Version property
			layout = true
		case ItemInterface:
			it.menuPath = "" // may be the Menu property
			layout = true
		}
	}
	if layout {
		close(it.layoutCh)
		it.layoutCh = make(chan struct{})
	}
}

func splitMember(name string) (iface, member string) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

func firstString(body []any) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	s, ok := body[0].(string)
	return s, ok
}

func (it *Item) obj(path dbus.ObjectPath) dbus.BusObject {
	return it.h.conn.Object(it.Service, path)
}

// Pixmap is one icon image of an item: ARGB32 pixels in network byte order
// (A, R, G, B bytes per pixel), row by row, as the StatusNotifierItem
// specification's IconPixmap (a(iiay)) carries it.
type Pixmap struct {
	Width, Height int
	ARGB          []byte
}

// Empty reports whether the pixmap has no pixels (fyne.io/systray sends a
// 0x0 pixmap when it cannot decode the icon).
func (p Pixmap) Empty() bool { return p.Width <= 0 || p.Height <= 0 || len(p.ARGB) == 0 }

// At returns the colour at (x, y), or the zero colour outside the image.
func (p Pixmap) At(x, y int) color.NRGBA {
	i := (y*p.Width + x) * 4
	if x < 0 || y < 0 || x >= p.Width || y >= p.Height || i+3 >= len(p.ARGB) {
		return color.NRGBA{}
	}
	return color.NRGBA{A: p.ARGB[i], R: p.ARGB[i+1], G: p.ARGB[i+2], B: p.ARGB[i+3]}
}

// sum is a short hash of the size and pixels, to tell icons apart.
func (p Pixmap) sum() string {
	h := sha256.New()
	fmt.Fprintf(h, "%dx%d:", p.Width, p.Height)
	h.Write(p.ARGB)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (p Pixmap) String() string {
	return fmt.Sprintf("%dx%d sha256:%s", p.Width, p.Height, p.sum())
}

// ItemProperties are the org.kde.StatusNotifierItem properties of an item
// that the tests read.
type ItemProperties struct {
	ID          string // the "Id" property
	Title       string
	Status      string // Passive, Active or NeedsAttention
	IconPixmaps []Pixmap
	Menu        dbus.ObjectPath // the com.canonical.dbusmenu object
}

// largestIcon returns the largest of IconPixmaps (the zero Pixmap if none).
func (p *ItemProperties) largestIcon() Pixmap {
	var best Pixmap
	for _, px := range p.IconPixmaps {
		if px.Width*px.Height > best.Width*best.Height {
			best = px
		}
	}
	return best
}

// Properties reads all org.kde.StatusNotifierItem properties (one GetAll).
func (it *Item) Properties(ctx context.Context) (*ItemProperties, error) {
	var raw map[string]dbus.Variant
	err := it.obj(it.Path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, ItemInterface).Store(&raw)
	if err != nil {
		return nil, fmt.Errorf("trayhost: reading the properties of %v: %w", it, err)
	}
	return decodeItemProperties(raw)
}

func decodeItemProperties(raw map[string]dbus.Variant) (*ItemProperties, error) {
	p := &ItemProperties{}
	str := func(name string) string {
		s, _ := raw[name].Value().(string)
		return s
	}
	p.ID = str("Id")
	p.Title = str("Title")
	p.Status = str("Status")
	switch m := raw["Menu"].Value().(type) {
	case dbus.ObjectPath:
		p.Menu = m
	case string:
		p.Menu = dbus.ObjectPath(m)
	}
	var err error
	if v, ok := raw["IconPixmap"]; ok {
		if p.IconPixmaps, err = decodePixmaps(v.Value()); err != nil {
			return p, fmt.Errorf("trayhost: IconPixmap: %w", err)
		}
	}
	return p, nil
}

// decodePixmaps decodes a(iiay) as godbus delivers it inside a variant: a
// slice of 3-element []any structs.
func decodePixmaps(v any) ([]Pixmap, error) {
	elems, err := anySlice(v)
	if err != nil {
		return nil, err
	}
	out := make([]Pixmap, 0, len(elems))
	for _, e := range elems {
		f, err := structFields(e, 3)
		if err != nil {
			return nil, fmt.Errorf("pixmap: %w", err)
		}
		w, ok1 := toInt64(f[0])
		h, ok2 := toInt64(f[1])
		data, ok3 := f[2].([]byte)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("pixmap: want (iiay), got (%T, %T, %T)", f[0], f[1], f[2])
		}
		out = append(out, Pixmap{Width: int(w), Height: int(h), ARGB: data})
	}
	return out, nil
}

// IconPixmap returns the largest of the item's IconPixmap images; it fails
// when the item has none or only empty ones.
func (it *Item) IconPixmap(ctx context.Context) (Pixmap, error) {
	p, err := it.Properties(ctx)
	if err != nil {
		return Pixmap{}, err
	}
	best := p.largestIcon()
	if best.Empty() {
		return best, fmt.Errorf("trayhost: %v has no IconPixmap image (%d pixmap(s))", it, len(p.IconPixmaps))
	}
	return best, nil
}

// menuObject returns the item's Menu property (cached until the item
// signals a change of its properties).
func (it *Item) menuObject(ctx context.Context) (dbus.ObjectPath, error) {
	it.mu.Lock()
	path := it.menuPath
	it.mu.Unlock()
	if path != "" {
		return path, nil
	}
	var v dbus.Variant
	err := it.obj(it.Path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ItemInterface, "Menu").Store(&v)
	if err != nil {
		return "", fmt.Errorf("trayhost: reading the Menu property of %v: %w", it, err)
	}
	switch m := v.Value().(type) {
	case dbus.ObjectPath:
		path = m
	case string:
		path = dbus.ObjectPath(m)
	}
	if !path.IsValid() || path == "/" {
		return "", fmt.Errorf("trayhost: %v has no menu (Menu = %v)", it, v)
	}
	it.mu.Lock()
	it.menuPath = path
	it.mu.Unlock()
	return path, nil
}

// Layout reads the whole menu with com.canonical.dbusmenu.GetLayout(0, -1,
// []) and returns its root (ID 0, with Revision set).
func (it *Item) Layout(ctx context.Context) (*MenuNode, error) {
	path, err := it.menuObject(ctx)
	if err != nil {
		return nil, err
	}
	call := it.obj(path).CallWithContext(ctx, MenuInterface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		return nil, fmt.Errorf("trayhost: GetLayout on %v: %w", it, call.Err)
	}
	root, err := decodeGetLayout(call.Body)
	if err != nil {
		return nil, fmt.Errorf("trayhost: GetLayout on %v: %w", it, err)
	}
	return root, nil
}

// Click does what a panel does when the user picks a menu entry: it calls
// AboutToShow on the root menu (whose answer and errors it ignores, as
// panels do) and sends Event(id, "clicked", variant(""), timestamp).
//
// With fyne.io/systray a click can be lost: the item hands it to the app
// with a non-blocking channel send, dropped when the app's goroutine for
// that entry is not (yet) receiving. Use ClickUntil when the click has a
// visible effect on the menu.
func (it *Item) Click(ctx context.Context, id int32) error {
	path, err := it.menuObject(ctx)
	if err != nil {
		return err
	}
	obj := it.obj(path)
	if call := obj.CallWithContext(ctx, MenuInterface+".AboutToShow", 0, int32(0)); call.Err != nil && ctx.Err() != nil {
		return fmt.Errorf("trayhost: AboutToShow on %v: %w", it, call.Err)
	}
	ts := uint32(time.Now().Unix())
	if call := obj.CallWithContext(ctx, MenuInterface+".Event", 0, id, "clicked", dbus.MakeVariant(""), ts); call.Err != nil {
		return fmt.Errorf("trayhost: Event(%d, clicked) on %v: %w", id, it, call.Err)
	}
	return nil
}

// ClickUntil clicks the first menu entry whose label starts with
// labelPrefix and waits until done holds for the menu, re-reading it on
// every change signal and every pollInterval.
//
// If done does not hold after clickRetryAfter and the menu's revision has
// not moved since the click, the click is taken as dropped (see Click) and
// sent again to the same entry. Use it only for clicks whose effect done can
// see in the menu and that republish the menu (as any Fyne menu change
// does); otherwise a slow click could be delivered twice.
func (it *Item) ClickUntil(ctx context.Context, labelPrefix string, done func(*MenuNode) bool) (*MenuNode, error) {
	for attempt := 1; ; attempt++ {
		before, err := it.Layout(ctx)
		if err != nil {
			return nil, err
		}
		n := before.Find(labelPrefix)
		if n == nil {
			return before, fmt.Errorf("trayhost: no menu entry %q to click in:\n%s", labelPrefix, before.Dump())
		}
		if !n.Enabled || !n.Visible {
			return before, fmt.Errorf("trayhost: menu entry %q is not clickable (enabled=%v visible=%v) in:\n%s", labelPrefix, n.Enabled, n.Visible, before.Dump())
		}
		if err := it.Click(ctx, n.ID); err != nil {
			return before, err
		}
		wctx, cancel := context.WithTimeout(ctx, clickRetryAfter)
		got, err := it.WaitLayoutChange(wctx, done)
		cancel()
		if err == nil {
			return got, nil
		}
		if ctx.Err() != nil || it.isGone() {
			return got, fmt.Errorf("trayhost: after clicking %q (id %d, %d attempt(s)): %w", labelPrefix, n.ID, attempt, err)
		}
		now, err := it.Layout(ctx)
		if err != nil {
			return got, err
		}
		if now.Revision != before.Revision {
			// The click got through (the menu was republished) but its
			// effect is slow or different: keep waiting, never click twice.
			got, err := it.WaitLayoutChange(ctx, done)
			if err != nil {
				return got, fmt.Errorf("trayhost: after clicking %q (id %d): %w", labelPrefix, n.ID, err)
			}
			return got, nil
		}
		it.h.logf("trayhost: click on %q (id %d) had no effect after %v and menu revision %d is unchanged; assuming it was dropped, clicking again",
			labelPrefix, n.ID, clickRetryAfter, now.Revision)
	}
}

// WaitLayoutChange re-reads the menu whenever the item signals a change
// (LayoutUpdated, ItemsPropertiesUpdated, a change of the menu's Version
// property) and every pollInterval, until cond holds for it; it returns that
// menu. On timeout it returns the last menu read and an error that shows it.
func (it *Item) WaitLayoutChange(ctx context.Context, cond func(*MenuNode) bool) (*MenuNode, error) {
	var last *MenuNode
	var lastErr error
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		it.mu.Lock()
		changed := it.layoutCh
		it.mu.Unlock()
		m, err := it.Layout(ctx)
		if err == nil {
			last, lastErr = m, nil
			if cond(m) {
				return m, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-it.gone:
			return last, it.waitErr("the item left the bus", last, lastErr)
		case <-ctx.Done():
			return last, it.waitErr(fmt.Sprintf("%v", context.Cause(ctx)), last, lastErr)
		}
	}
}

func (it *Item) waitErr(why string, last *MenuNode, lastErr error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "trayhost: waiting for the menu of %v: %s", it, why)
	if lastErr != nil {
		fmt.Fprintf(&b, "; last error: %v", lastErr)
	}
	if last != nil {
		fmt.Fprintf(&b, "; last menu read:\n%s", last.Dump())
	} else {
		b.WriteString("; the menu was never read")
	}
	if s := it.signalSummary(); s != "" {
		fmt.Fprintf(&b, "\nsignals received: %s", s)
	}
	return errors.New(b.String())
}
