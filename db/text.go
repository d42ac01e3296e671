package db

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextKind says whether a stored text is one line or may hold several.
type TextKind int

// The kinds of text the store keeps.
const (
	// Line is a single line: a name, a title, a label, an announcement.
	Line TextKind = iota
	// Lines may hold line breaks and tabs: a description, a note on diet.
	Lines
)

// lineBreaks turns every way of ending a line into "\n" in a multi-line
// text; a paragraph separator becomes a blank line, which is how a
// description separates paragraphs.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n\n")

// CheckText is the one check every piece of user text passes before it is
// stored, whichever door it came through (a form, the command line). It
// returns the text as it is to be stored, or an EINVALID error whose Field
// is field and whose Detail says which character was refused and where;
// its key is "text.one_line" for a tab or line break in a Line,
// "text.invalid" for anything else.
//
// Refused everywhere:
//   - bytes that are not UTF-8: a websocket text frame must be UTF-8, and a
//     browser drops the connection on one that is not (surrogate halves
//     are not UTF-8 either);
//   - control characters: C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F),
//     which end lines in calendar files and mean nothing on a page;
//   - the bidirectional embeddings and overrides U+202A–U+202E, which make
//     the text around them read backwards on a screen;
//   - noncharacters (U+FDD0–U+FDEF, U+FFFE, U+FFFF and their twins in every
//     plane), which HTML forbids.
//
// A Line also refuses tabs and line breaks, the line and paragraph
// separators U+2028 and U+2029 included. Lines may hold tabs and line
// breaks: CR LF, a lone CR and U+2028 become "\n", U+2029 a blank line.
func CheckText(field, s string, kind TextKind) (string, error) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", &Error{Code: EINVALID, Key: "text.invalid", Field: field,
				Detail: fmt.Sprintf("%s is not valid UTF-8 (byte %d is 0x%02x)", field, i+1, s[i])}
		}
		i += size
	}
	n := 0
	for _, r := range s {
		n++
		if kind == Lines && (r == '\t' || isLineBreak(r)) {
			continue
		}
		if isLineBreak(r) || r == '\t' {
			return "", &Error{Code: EINVALID, Key: "text.one_line", Field: field,
				Detail: fmt.Sprintf("%s must be one line, but character %d is %s (%U)", field, n, lineBreakName(r), r)}
		}
		if what := refusedRune(r); what != "" {
			return "", &Error{Code: EINVALID, Key: "text.invalid", Field: field,
				Detail: fmt.Sprintf("%s: character %d is %s (%U), which cannot be stored", field, n, what, r)}
		}
	}
	if kind == Lines {
		s = lineBreaks.Replace(s)
	}
	return s, nil
}

// isLineBreak reports whether r ends a line: LF, CR, and the line and
// paragraph separators. (NEL, VT and FF are refused as control characters.)
func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func lineBreakName(r rune) string {
	if r == '\t' {
		return "a tab"
	}
	return "a line break"
}

// refusedRune says what r is when no stored text may hold it, "" when it
// may.
func refusedRune(r rune) string {
	switch {
	case unicode.IsControl(r): // C0, DEL, C1
		return "a control character"
	case r >= '\u202A' && r <= '\u202E':
		return "a bidirectional override"
	case r >= '\uFDD0' && r <= '\uFDEF', r&0xFFFE == 0xFFFE:
		return "a noncharacter"
	}
	return ""
}
