package bench

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

type style struct {
	target string
	color  color.RGBA
	dashes []vg.Length
}

var seriesStyle = []style{
	{"direct", color.RGBA{120, 120, 120, 255}, []vg.Length{vg.Points(2), vg.Points(2)}},
	{"floor", color.RGBA{31, 119, 180, 255}, []vg.Length{vg.Points(6), vg.Points(3)}},
	{"router", color.RGBA{214, 39, 40, 255}, nil},
	{"portkey", color.RGBA{44, 160, 44, 255}, nil},
}

// variantStyle draws router variants.
var variantStyle = struct {
	color  color.RGBA
	dashes []vg.Length
}{color.RGBA{255, 127, 14, 255}, []vg.Length{vg.Points(4), vg.Points(2)}}

// Chart draws latency (p50 and p99) against concurrency for every path
// against the zero-delay fake, side by side, as a PNG.
func Chart(r *Results, path string) error {
	var concs []int
	for _, pt := range r.Throughput {
		if pt.FakeDelayMS == 0 && !slices.Contains(concs, pt.Concurrency) {
			concs = append(concs, pt.Concurrency)
		}
	}
	if len(concs) == 0 {
		return fmt.Errorf("no throughput points to draw")
	}
	panel := func(title string, pick func(ThroughputPoint) Stat) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "concurrency (closed loop)"
		p.Y.Label.Text = "latency (ms, log scale)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = concTicks(concs)
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Legend.Top = true
		p.Legend.Left = true
		styles := slices.Clone(seriesStyle)
		for _, pt := range r.Throughput {
			if strings.HasPrefix(pt.Target, variantPrefix) && !slices.ContainsFunc(styles, func(s style) bool { return s.target == pt.Target }) {
				styles = append(styles, style{pt.Target, variantStyle.color, variantStyle.dashes})
			}
		}
		for _, s := range styles {
			var xy plotter.XYs
			for _, pt := range r.Throughput {
				st := pick(pt)
				if pt.FakeDelayMS == 0 && pt.Target == s.target && st.Valid() && st.Median > 0 {
					xy = append(xy, plotter.XY{X: float64(pt.Concurrency), Y: st.Median / 1000})
				}
			}
			if len(xy) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			line.Color, points.Color = s.color, s.color
			line.Width = vg.Points(1.6)
			line.Dashes = s.dashes
			points.Shape = draw.CircleGlyph{}
			p.Add(line, points)
			p.Legend.Add(plainLabel(s.target), line, points)
		}
		return p, nil
	}
	p50, err := panel("p50 latency, zero-delay fake", func(pt ThroughputPoint) Stat { return pt.P50 })
	if err != nil {
		return err
	}
	p99, err := panel("p99 latency, zero-delay fake", func(pt ThroughputPoint) Stat { return pt.P99 })
	if err != nil {
		return err
	}
	const w, h = 13 * vg.Inch, 5.5 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{{p50, p99}}, tiles, dc)
	p50.Draw(canvases[0][0])
	p99.Draw(canvases[0][1])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func plainLabel(t string) string {
	switch t {
	case "direct":
		return "direct (SDK → fake)"
	case "floor":
		return "floor (ReverseProxy)"
	case "router":
		return "llmstack serve"
	case "portkey":
		return "Portkey"
	}
	if env, ok := strings.CutPrefix(t, variantPrefix); ok {
		return "llmstack serve, " + env
	}
	return t
}

// concTicks labels exactly the measured concurrencies.
type concTicks []int

func (c concTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range c {
		out = append(out, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
	}
	return out
}
