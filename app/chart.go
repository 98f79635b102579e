package app

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/llmstack/llmstack/server"
)

// SpendBar is one day of the status window's spend chart.
type SpendBar struct {
	Label string // "Nov 25"
	USD   float64
	// Height is the bar's share of the chart's height: the dearest day
	// is 1, a day without spend 0.
	Height float32
}

// SpendBars turns the last days' spend into the chart's bars, oldest
// first.
func SpendBars(days []server.DaySpend) []SpendBar {
	top := 0.0
	for _, d := range days {
		top = max(top, d.USD)
	}
	bars := make([]SpendBar, len(days))
	for i, d := range days {
		bars[i] = SpendBar{Label: d.Day.Format("Jan 2"), USD: d.USD}
		if top > 0 {
			bars[i].Height = float32(d.USD / top)
		}
	}
	return bars
}

// ChartCaption sums the chart up in words, for the label above it.
func ChartCaption(days []server.DaySpend) string {
	total, top := 0.0, server.DaySpend{}
	for _, d := range days {
		total += d.USD
		if d.USD > top.USD {
			top = d
		}
	}
	if total == 0 {
		return fmt.Sprintf("Spend, last %d days: nothing yet", len(days))
	}
	return fmt.Sprintf("Spend, last %d days: %s (estimated) · dearest day %s, %s", len(days), FormatUSD(total), top.Day.Format("Jan 2"), FormatUSD(top.USD))
}

// chartHeight is the bars' height at their tallest.
const chartHeight = 80

// spendChart is the status window's per-day chart of the last days.
type spendChart struct {
	caption *widget.Label
	from    *widget.Label
	to      *widget.Label
	bars    *fyne.Container
	heights []float32 // of each bar, 0..1
	content fyne.CanvasObject
}

func newSpendChart() *spendChart {
	c := &spendChart{caption: widget.NewLabel(""), from: widget.NewLabel(""), to: widget.NewLabel("")}
	c.bars = container.New(&barsLayout{chart: c})
	c.content = container.NewBorder(c.caption, container.NewBorder(nil, nil, c.from, c.to), nil, nil, c.bars)
	return c
}

// update redraws the chart for days (server.Status's Spend.Days).
func (c *spendChart) update(days []server.DaySpend) {
	bars := SpendBars(days)
	c.caption.SetText(ChartCaption(days))
	if len(bars) > 0 {
		c.from.SetText(bars[0].Label)
		c.to.SetText(bars[len(bars)-1].Label)
	}
	objs := make([]fyne.CanvasObject, len(bars))
	for i, b := range bars {
		r := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
		if b.USD == 0 {
			r.FillColor = color.Transparent
		}
		objs[i] = r
	}
	c.bars.Objects = objs
	c.heights = make([]float32, len(bars))
	for i, b := range bars {
		c.heights[i] = b.Height
	}
	c.content.Refresh() // the date labels' new widths need a layout
}

// barsLayout places the bars side by side, bottom-aligned, each as tall as
// its share of the dearest day.
type barsLayout struct{ chart *spendChart }

func (l *barsLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, chartHeight) }

func (l *barsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	slot := size.Width / float32(len(objs))
	gap := min(slot/4, theme.Padding())
	for i, o := range objs {
		h := float32(0)
		if i < len(l.chart.heights) {
			h = max(l.chart.heights[i]*size.Height, 1)
		}
		o.Move(fyne.NewPos(float32(i)*slot+gap/2, size.Height-h))
		o.Resize(fyne.NewSize(slot-gap, h))
	}
}
