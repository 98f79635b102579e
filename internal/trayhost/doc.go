// Package trayhost is an end-to-end test harness that talks to a system-tray
// program over D-Bus exactly as a Linux desktop panel does.
//
// Start launches a private session bus (dbus-daemon) and a virtual X server
// (Xvfb), owns org.kde.StatusNotifierWatcher on that bus and records every
// StatusNotifierItem that registers with it. A test launches the program
// under test with Host.StartProcess, waits for its item with
// Process.WaitItem, then reads the item's icon (Item.IconPixmap) and its
// com.canonical.dbusmenu menu (Item.Layout), clicks entries (Item.Click,
// Item.ClickUntil) and waits for the menu to change
// (Item.WaitLayoutChange). The host also plays the desktop's notification
// service (org.freedesktop.Notifications), recording what programs send
// (Host.WaitNotification), and finds, closes and captures the program's X
// windows (Host.WaitWindow, Host.CloseWindow, Host.Capture).
//
// A typical test:
//
//	host := trayhost.Start(t)
//	bin := trayhost.BuildGo(t, "./cmd/myapp")
//	p := host.StartProcess(t, bin)
//	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
//	defer cancel()
//	item, err := p.WaitItem(ctx)
//	...
//	menu, err := item.WaitLayoutChange(ctx, trayhost.HasLabel("Quit"))
//	...
//	menu, err = item.ClickUntil(ctx, "Use next channel", func(m *trayhost.MenuNode) bool {
//		n := m.Find("Use next channel")
//		return n != nil && n.Checked()
//	})
//
// The package is ordinary (non-test) code so that other packages' tests can
// import it; it only depends on the dbus-daemon and Xvfb executables at run
// time. When either is missing, Start skips the test, or fails it when the
// environment variable CI is "true".
//
// # How a Fyne tray looks from the bus
//
// Fyne (fyne.io/fyne/v2 v2.7.1, through fyne.io/systray) on Linux:
//
//   - exports the item at /StatusNotifierItem and the menu at
//     /StatusNotifierMenu on its own connection, requests the name
//     org.kde.StatusNotifierItem-<pid>-1, and calls
//     org.kde.StatusNotifierWatcher.RegisterStatusNotifierItem with the object
//     path "/StatusNotifierItem" (not a bus name), so the item's service is
//     the caller's unique name. If no watcher is on the bus it logs "failed to
//     register" and registers again when the watcher name appears.
//   - sets Title to the app's metadata name or else its ID, and Id to the
//     same (or "systray_<pid>" if the title was not set in time: racy),
//     Status "Active", Category "ApplicationStatus", ItemIsMenu true,
//     IconName "", IconPixmap to one ARGB image decoded from the app's tray
//     icon (a 0x0 one if it cannot decode it) and ToolTip ("", [], "", ""):
//     Fyne never sets a tooltip. On changes it emits NewIcon / NewTitle plus
//     PropertiesChanged; never NewToolTip.
//   - rebuilds the whole menu on every refresh (Menu.Refresh,
//     SetSystemTrayMenu): all entry IDs change, a separator and "Quit" are
//     appended, and LayoutUpdated (plus PropertiesChanged of the menu's
//     Version) is only emitted for some of the steps, so a menu read right
//     after a signal can be incomplete. Find entries by label after each read,
//     and wait with WaitLayoutChange (which also polls).
//   - shows a checked Fyne item as toggle-type "checkmark", toggle-state 1, but
//     an unchecked one as a plain entry (toggle-type "", toggle-state 0).
//     Disabled entries have "enabled" false.
//   - hands a "clicked" Event to the app with a non-blocking send, so a click
//     that arrives while nobody is receiving for that entry is lost
//     (ClickUntil retries those). AboutToShow is a no-op.
package trayhost
