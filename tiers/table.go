package tiers

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the tier table of `llmstack check`: name, role,
// backend, current → next model, region and profile. The arrow marks which
// side is live: "→" when the current model serves, "⇒" when the next one
// does.
func (c *Config) WriteTable(w io.Writer, useNext bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tROLE\tBACKEND\tMODEL (current → next)\tREGION\tPROFILE")
	for _, t := range c.Tiers {
		name := t.Name
		if len(t.Aliases) > 0 {
			name += fmt.Sprintf(" (%s)", strings.Join(t.Aliases, ", "))
		}
		model, region, profile := t.Model(false), "-", "-"
		if next := t.NextModel(); next != "" {
			arrow := " → "
			if t.Channel(useNext) == ChannelNext {
				arrow = " ⇒ "
			}
			model += arrow + next
		}
		if b := t.Bedrock; b != nil {
			region = orDash(b.Region, "(profile default)")
			if b.RegionNext != "" && b.RegionNext != b.Region {
				region += " → " + b.RegionNext
			}
			profile = orDash(b.Profile, "(default chain)")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, orDash(t.Role, "-"), t.Backend, model, region, profile)
	}
	return tw.Flush()
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}
