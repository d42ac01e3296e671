package handlers

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/views"
)

// The back office's CSV files are for spreadsheets: the caterer's and the
// host's lists, opened in Excel or LibreOffice. So they are UTF-8 with a
// byte-order mark (without it Excel reads æøå as Windows-1252), separated
// by semicolons (a Norwegian spreadsheet, where the comma is the decimal
// mark, splits on them; the organisers' spreadsheets are Norwegian whatever
// language they read the hub in), and every cell is neutralised (csvCell).

// csvBOM is UTF-8's byte-order mark.
const csvBOM = "\ufeff"

// csvCell neutralises a cell a spreadsheet would take for a formula: one
// starting with = + - or @ (or a tab or carriage return, which some strip
// first) gets a leading apostrophe, which shows the text as it is.
// Quoting is encoding/csv's.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeCSV answers with rows (the first the header) as a CSV attachment
// named filename.
func writeCSV(c echo.Context, l views.Localizer, filename string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString(csvBOM)
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	w.UseCRLF = true // what spreadsheets expect, and RFC 4180
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = csvCell(v)
		}
		if err := w.Write(cells); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
