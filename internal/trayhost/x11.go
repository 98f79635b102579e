package trayhost

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"log"
	"strings"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// The host's Xvfb runs no window manager, so nothing would turn a click on
// a title bar's close button into the message a program gets. The X11
// requests below do what a window manager does (find a top-level window by
// its title, send it WM_DELETE_WINDOW) and what a screenshot tool does.

func init() {
	// xgb logs to stderr by default ("Could not get authority info" for
	// Xvfb, which asks for none); errors come back from the requests.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// WaitWindow waits until a top-level window titled title is mapped on the
// host's display and returns its X window id.
func (h *Host) WaitWindow(ctx context.Context, title string) (uint32, error) {
	x, err := dialX(h.display)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	w, err := waitWindow(ctx, x, title)
	return uint32(w), err
}

// CloseWindow asks the top-level window titled title to close, as a window
// manager does when the user clicks its close button: it sends the window a
// WM_PROTOCOLS client message carrying WM_DELETE_WINDOW (ICCCM 4.2.8.1). It
// waits for the window to be mapped first and returns once the X server has
// delivered the message; what the program then does is up to it.
func (h *Host) CloseWindow(ctx context.Context, title string) error {
	x, err := dialX(h.display)
	if err != nil {
		return err
	}
	defer x.Close()
	w, err := waitWindow(ctx, x, title)
	if err != nil {
		return err
	}
	protocols, err := internAtom(x, "WM_PROTOCOLS")
	if err != nil {
		return err
	}
	deleteWindow, err := internAtom(x, "WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	ev := xproto.ClientMessageEvent{Format: 32, Window: w, Type: protocols,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(deleteWindow), xproto.TimeCurrentTime, 0, 0, 0})}
	// With an empty event mask the event goes to the window's owner; the
	// checked request returns once the server has handled it.
	if err := xproto.SendEventChecked(x, false, w, 0, string(ev.Bytes())).Check(); err != nil {
		return fmt.Errorf("trayhost: sending WM_DELETE_WINDOW to window %q: %w", title, err)
	}
	return nil
}

// Capture waits for the top-level window titled title and returns what it
// shows, as a screenshot tool would take it.
func (h *Host) Capture(ctx context.Context, title string) (image.Image, error) {
	x, err := dialX(h.display)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	w, err := waitWindow(ctx, x, title)
	if err != nil {
		return nil, err
	}
	geo, err := xproto.GetGeometry(x, xproto.Drawable(w)).Reply()
	if err != nil {
		return nil, fmt.Errorf("trayhost: size of window %q: %w", title, err)
	}
	img, err := xproto.GetImage(x, xproto.ImageFormatZPixmap, xproto.Drawable(w), 0, 0, geo.Width, geo.Height, ^uint32(0)).Reply()
	if err != nil {
		return nil, fmt.Errorf("trayhost: capturing window %q: %w", title, err)
	}
	// The host's screen is 24 bits deep, 32 bits a pixel, little endian:
	// blue, green, red, padding.
	out := image.NewNRGBA(image.Rect(0, 0, int(geo.Width), int(geo.Height)))
	if want := int(geo.Width) * int(geo.Height) * 4; len(img.Data) < want {
		return nil, fmt.Errorf("trayhost: capturing window %q: %d bytes of image for %dx%d", title, len(img.Data), geo.Width, geo.Height)
	}
	for i := 0; i < int(geo.Width)*int(geo.Height); i++ {
		p := img.Data[4*i:]
		out.Set(i%int(geo.Width), i/int(geo.Width), color.NRGBA{R: p[2], G: p[1], B: p[0], A: 0xff})
	}
	return out, nil
}

func dialX(display string) (*xgb.Conn, error) {
	if !strings.HasPrefix(display, ":") {
		return nil, fmt.Errorf("trayhost: X display %q is not local (:N)", display)
	}
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("trayhost: connecting to X display %s: %w", display, err)
	}
	return x, nil
}

func internAtom(x *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(x, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("trayhost: X atom %s: %w", name, err)
	}
	return r.Atom, nil
}

// waitWindow polls the root window's children for a mapped window titled
// title.
func waitWindow(ctx context.Context, x *xgb.Conn, title string) (xproto.Window, error) {
	netName, err := internAtom(x, "_NET_WM_NAME")
	if err != nil {
		return 0, err
	}
	root := xproto.Setup(x).DefaultScreen(x).Root
	var seen []string
	for {
		seen = seen[:0]
		tree, err := xproto.QueryTree(x, root).Reply()
		if err != nil {
			return 0, fmt.Errorf("trayhost: listing X windows: %w", err)
		}
		for _, w := range tree.Children {
			name := property(x, w, netName)
			if name == "" {
				name = property(x, w, xproto.AtomWmName)
			}
			if name == "" {
				continue // gone meanwhile, or untitled
			}
			seen = append(seen, fmt.Sprintf("%q", name))
			if attr, err := xproto.GetWindowAttributes(x, w).Reply(); name == title && err == nil && attr.MapState == xproto.MapStateViewable {
				return w, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("trayhost: no window titled %q is shown (titled windows: %s): %w", title, strings.Join(seen, ", "), context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// property reads a window's text property; "" when it is not set.
func property(x *xgb.Conn, w xproto.Window, prop xproto.Atom) string {
	r, err := xproto.GetProperty(x, false, w, prop, xproto.GetPropertyTypeAny, 0, 1024).Reply()
	if err != nil || r.Format != 8 {
		return ""
	}
	return string(r.Value)
}
