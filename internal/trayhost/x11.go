package trayhost

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// The host's Xvfb runs no window manager, so nothing would turn a click on
// a title bar's close button into the message a program gets. The few X11
// requests below (core protocol, no extension, no X library) do what a
// window manager does: find a top-level window by its title and send it
// WM_DELETE_WINDOW.

// WaitWindow waits until a top-level window titled title is mapped on the
// host's display and returns its X window id.
func (h *Host) WaitWindow(ctx context.Context, title string) (uint32, error) {
	x, err := dialX(h.display)
	if err != nil {
		return 0, err
	}
	defer x.close()
	return x.waitWindow(ctx, title)
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
	defer x.close()
	w, err := x.waitWindow(ctx, title)
	if err != nil {
		return err
	}
	protocols, err := x.internAtom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	deleteWindow, err := x.internAtom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	ev := make([]byte, 0, 32)
	ev = append(ev, 33, 32) // ClientMessage, format 32
	ev = le16(ev, 0)
	ev = le32(ev, w)
	ev = le32(ev, protocols)
	ev = le32(ev, deleteWindow)
	ev = le32(ev, 0) // CurrentTime
	ev = append(ev, make([]byte, 12)...)
	// SendEvent with an empty event mask goes to the window's owner.
	req := []byte{25, 0}
	req = le16(req, 11)
	req = le32(req, w)
	req = le32(req, 0)
	req = append(req, ev...)
	if err := x.send(req); err != nil {
		return fmt.Errorf("trayhost: sending WM_DELETE_WINDOW to window %q: %w", title, err)
	}
	// GetInputFocus has a reply: once it arrives the SendEvent was handled
	// (or its error reported).
	if _, err := x.roundTrip([]byte{43, 0, 1, 0}); err != nil {
		return fmt.Errorf("trayhost: sending WM_DELETE_WINDOW to window %q: %w", title, err)
	}
	return nil
}

// xConn is a connection to an X server speaking the core protocol, little
// endian.
type xConn struct {
	c    net.Conn
	root uint32
	seq  uint16
}

func dialX(display string) (*xConn, error) {
	num, ok := strings.CutPrefix(display, ":")
	if !ok {
		return nil, fmt.Errorf("trayhost: X display %q is not local (:N)", display)
	}
	num, _, _ = strings.Cut(num, ".")
	c, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+num, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("trayhost: connecting to X display %s: %w", display, err)
	}
	x := &xConn{c: c}
	if err := x.setup(); err != nil {
		c.Close()
		return nil, fmt.Errorf("trayhost: connecting to X display %s: %w", display, err)
	}
	return x, nil
}

func (x *xConn) close() { x.c.Close() }

// setup sends the connection setup (no authorization: the host's Xvfb asks
// for none) and keeps the first screen's root window.
func (x *xConn) setup() error {
	x.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := x.c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		return err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(x.c, head); err != nil {
		return err
	}
	extra := make([]byte, int(binary.LittleEndian.Uint16(head[6:]))*4)
	if _, err := io.ReadFull(x.c, extra); err != nil {
		return err
	}
	if head[0] != 1 {
		reason := extra[:min(int(head[1]), len(extra))]
		return fmt.Errorf("the X server refused the connection: %s", strings.TrimSpace(string(reason)))
	}
	if len(extra) < 32 {
		return errors.New("short X connection setup reply")
	}
	vendor := int(binary.LittleEndian.Uint16(extra[16:]))
	formats := int(extra[21])
	off := 32 + pad4(vendor) + 8*formats
	if extra[20] == 0 || len(extra) < off+4 {
		return errors.New("the X server reports no screen")
	}
	x.root = binary.LittleEndian.Uint32(extra[off:])
	return nil
}

// send writes one request that has no reply.
func (x *xConn) send(req []byte) error {
	x.c.SetDeadline(time.Now().Add(10 * time.Second))
	x.seq++
	_, err := x.c.Write(req)
	return err
}

// roundTrip writes one request and returns its reply (the 32-byte header
// and what follows). Events are skipped; an X error is returned as one.
func (x *xConn) roundTrip(req []byte) ([]byte, error) {
	if err := x.send(req); err != nil {
		return nil, err
	}
	for {
		b := make([]byte, 32)
		if _, err := io.ReadFull(x.c, b); err != nil {
			return nil, err
		}
		switch b[0] {
		case 0:
			return nil, fmt.Errorf("X error %d from request %d", b[1], b[10])
		case 1:
			more := make([]byte, int(binary.LittleEndian.Uint32(b[4:]))*4)
			if _, err := io.ReadFull(x.c, more); err != nil {
				return nil, err
			}
			if binary.LittleEndian.Uint16(b[2:]) != x.seq {
				continue // the reply to an earlier request
			}
			return append(b, more...), nil
		}
	}
}

func (x *xConn) internAtom(name string) (uint32, error) {
	req := []byte{16, 0}
	req = le16(req, uint16(2+pad4(len(name))/4))
	req = le16(req, uint16(len(name)))
	req = le16(req, 0)
	req = append(req, name...)
	req = append(req, make([]byte, pad4(len(name))-len(name))...)
	r, err := x.roundTrip(req)
	if err != nil {
		return 0, fmt.Errorf("trayhost: X atom %s: %w", name, err)
	}
	return binary.LittleEndian.Uint32(r[8:]), nil
}

// waitWindow polls the root window's children for a mapped window titled
// title.
func (x *xConn) waitWindow(ctx context.Context, title string) (uint32, error) {
	netName, err := x.internAtom("_NET_WM_NAME")
	if err != nil {
		return 0, err
	}
	const wmName = 39 // predefined atom WM_NAME
	var seen []string
	for {
		seen = seen[:0]
		r, err := x.roundTrip(le32([]byte{15, 0, 2, 0}, x.root)) // QueryTree
		if err != nil {
			return 0, fmt.Errorf("trayhost: listing X windows: %w", err)
		}
		n := int(binary.LittleEndian.Uint16(r[16:]))
		for i := range n {
			w := binary.LittleEndian.Uint32(r[32+4*i:])
			name, err := x.property(w, netName)
			if err == nil && name == "" {
				name, err = x.property(w, wmName)
			}
			if err != nil || name == "" {
				continue // gone meanwhile, or untitled
			}
			seen = append(seen, fmt.Sprintf("%q", name))
			if name == title && x.viewable(w) {
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
func (x *xConn) property(w, prop uint32) (string, error) {
	req := []byte{20, 0, 6, 0}
	req = le32(req, w)
	req = le32(req, prop)
	req = le32(req, 0)    // any type
	req = le32(req, 0)    // from the start
	req = le32(req, 1024) // up to 4 KiB
	r, err := x.roundTrip(req)
	if err != nil {
		return "", err
	}
	format, n := int(r[1]), int(binary.LittleEndian.Uint32(r[16:]))
	size := n * format / 8
	if format == 0 || 32+size > len(r) {
		return "", nil
	}
	return string(r[32 : 32+size]), nil
}

// viewable reports whether w is mapped (and its parent too).
func (x *xConn) viewable(w uint32) bool {
	r, err := x.roundTrip(le32([]byte{3, 0, 2, 0}, w)) // GetWindowAttributes
	return err == nil && len(r) > 26 && r[26] == 2
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func pad4(n int) int                 { return (n + 3) &^ 3 }
