// Command traydemo is a minimal Fyne system-tray program used only by the
// trayhost package's own test. It opens no window: it only publishes a tray
// icon and this menu over D-Bus (StatusNotifierItem + com.canonical.dbusmenu):
//
//	Listening on http://127.0.0.1:1/v1   (disabled header)
//	Action                                (prints "action")
//	Use next channel                      (checkbox; prints "toggled true|false")
//	---
//	Quit                                  (added by Fyne)
//
// Each toggle of "Use next channel" flips its Checked state, prints the new
// state on stdout and refreshes the tray menu, which (in Fyne) rebuilds it
// with new item IDs.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
)

func main() {
	a := app.NewWithID("io.github.llmstack.traydemo")
	desk, ok := a.(desktop.App)
	if !ok {
		fmt.Fprintln(os.Stderr, "traydemo: this Fyne driver has no system tray")
		os.Exit(2)
	}

	header := fyne.NewMenuItem("Listening on http://127.0.0.1:1/v1", nil)
	header.Disabled = true
	action := fyne.NewMenuItem("Action", func() { fmt.Println("action") })
	next := fyne.NewMenuItem("Use next channel", nil)
	menu := fyne.NewMenu("traydemo", header, action, next)
	next.Action = func() {
		next.Checked = !next.Checked
		fmt.Printf("toggled %v\n", next.Checked)
		menu.Refresh() // re-publishes the tray menu (SetSystemTrayMenu)
	}

	desk.SetSystemTrayIcon(fyne.NewStaticResource("traydemo.png", icon(color.NRGBA{R: 0x20, G: 0x80, B: 0xe0, A: 0xff})))
	desk.SetSystemTrayMenu(menu)
	fmt.Println("traydemo: running")
	a.Run()
}

// icon draws a 32x32 PNG: a filled square of c with a transparent border.
func icon(c color.NRGBA) []byte {
	const size = 32
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 4; y < size-4; y++ {
		for x := 4; x < size-4; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}
