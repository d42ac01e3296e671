package handlers

import (
	"unicode/utf8"
)

// The dashboard's charts are SVG drawn on the server (views/templates/
// partials/charts.html): no chart library, no script, nothing for the CSP
// to allow. This file does their geometry, in the SVG's own units; the
// viewBox scales the whole to the width of a phone or a desktop.
//
// A chart is a picture of a table printed beside it: the SVG is
// aria-hidden, and the table is what a screen reader reads (see the
// template for why). So a chart may shorten a label; the table never
// does.

const (
	chartWidth = 400 // every chart's viewBox width

	// A bar chart's row: the label on a line of its own above the bar, so
	// that a long event title has the whole width.
	barRowHeight  = 44
	barLabelY     = 16 // baseline of the label, from the row's top
	barY          = 22 // top of the bar
	barHeight     = 16
	barMaxWidth   = 290 // the longest bar; the value is written after it
	barValueGap   = 6
	barLabelRunes = 44 // a longer label ends in "…"

	// A column chart: values above the columns, labels under them.
	columnTop    = 20  // room for the tallest column's value
	columnHeight = 130 // the tallest column
	columnBottom = 22  // room for the labels
	columnWidth  = 20
)

// barChart is a horizontal bar chart: one row per bar.
type barChart struct {
	Height    int
	BarHeight int
	Rows      []barRow
}

// barRow is one bar and its words, placed.
type barRow struct {
	Label        string // shortened to barLabelRunes
	Value        string // written after the bar: "34 av 40", "75 %"
	LabelY, BarY int
	BarWidth     int
	TrackWidth   int // the whole, drawn as an outline behind the bar; 0: none
	ValueX       int
	ValueY       int
	Full         bool // drawn hatched: the whole is reached (a full event)
}

// bar is one bar as the dashboard gives it: value of most (the chart's
// scale, shared by every bar), and optionally whole, drawn behind it.
type bar struct {
	Label     string
	Value     string
	Of, Whole int // the bar's quantity and its whole (0: no track)
	Full      bool
}

// newBarChart places bars on one scale: most is the quantity the longest
// bar stands for (at least 1).
func newBarChart(bars []bar, most int) barChart {
	most = max(most, 1)
	c := barChart{Height: max(len(bars), 1) * barRowHeight, BarHeight: barHeight}
	for i, b := range bars {
		top := i * barRowHeight
		r := barRow{Label: shorten(b.Label, barLabelRunes), Value: b.Value, LabelY: top + barLabelY, BarY: top + barY,
			BarWidth: scaled(b.Of, most, barMaxWidth), TrackWidth: scaled(b.Whole, most, barMaxWidth), Full: b.Full}
		r.ValueX = max(r.BarWidth, r.TrackWidth) + barValueGap
		r.ValueY = r.BarY + barHeight - 3
		c.Rows = append(c.Rows, r)
	}
	return c
}

// columnChart is a column chart: one column per period, oldest first.
type columnChart struct {
	Height int
	BaseY  int // the axis
	Cols   []column
}

// column is one column and its words, placed.
type column struct {
	Label        string
	Value        string
	X, Y, W, H   int
	MidX, ValueY int
	LabelY       int
}

// newColumnChart places columns (label, value, quantity) on one scale.
func newColumnChart(labels, values []string, quantities []int) columnChart {
	most := 1
	for _, q := range quantities {
		most = max(most, q)
	}
	c := columnChart{Height: columnTop + columnHeight + columnBottom, BaseY: columnTop + columnHeight}
	slot := chartWidth / max(len(quantities), 1)
	for i, q := range quantities {
		h := scaled(q, most, columnHeight)
		mid := i*slot + slot/2
		c.Cols = append(c.Cols, column{Label: labels[i], Value: values[i],
			X: mid - columnWidth/2, Y: c.BaseY - h, W: columnWidth, H: h,
			MidX: mid, ValueY: c.BaseY - h - 5, LabelY: c.BaseY + 16})
	}
	return c
}

// scaled is v of most as a length of at most length units; a quantity
// above 0 is at least 2 units, so that it is never mistaken for none.
func scaled(v, most, length int) int {
	if v <= 0 || most <= 0 {
		return 0
	}
	return max(min(v, most)*length/most, 2)
}

// shorten cuts s to n characters, the last an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
