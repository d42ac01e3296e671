package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TextKind says whether a stored text is one line or may hold several.
type TextKind int

// The kinds of text the store keeps.
const (
	// Line is a single line: a name, a title, a label, an announcement.
	Line TextKind = iota
	// Lines may hold line breaks and tabs: a description, a note on diet.
	Lines
	// Name is a person's name: one line that holds at least one letter,
	// so that a name made of dots, digits or invisible characters does not
	// reach the screen's wall. Organisations are a Line: "1881" is a
	// company's name.
	Name
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
// "hygiene.text.bidi" for a bidirectional control, "hygiene.text.no_letter"
// for a Name without a letter, "text.invalid" for anything else.
//
// The text as stored is:
//   - without the invisible characters that only come along when text is
//     pasted (ZERO WIDTH SPACE U+200B, WORD JOINER U+2060, the byte-order
//     mark U+FEFF): they are dropped, not refused, as the person never
//     saw them. ZERO WIDTH (NON-)JOINER U+200C/U+200D stay: Persian and
//     Indic scripts and emoji ("👩‍⚕️") need them;
//   - in Unicode Normalization Form C, so "ø" typed as o + U+0338 and "ø"
//     typed as one character are the same text, and the same e-mail
//     address to the duplicate check (NormalizeEmail);
//   - trimmed of spaces at either end.
//
// Refused everywhere:
//   - bytes that are not UTF-8: a websocket text frame must be UTF-8, and a
//     browser drops the connection on one that is not (surrogate halves
//     are not UTF-8 either);
//   - control characters: C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F),
//     which end lines in calendar files and mean nothing on a page;
//   - the bidirectional embeddings, overrides and isolates U+202A–U+202E
//     and U+2066–U+2069, which make the text around them read backwards
//     or in another order on a screen ("Kari \u202Eusnaf"). The marks
//     LRM, RLM and ALM (U+200E, U+200F, U+061C) stay: they cannot reorder
//     letters, and mixed Arabic or Hebrew and Latin text needs them;
//   - noncharacters (U+FDD0–U+FDEF, U+FFFE, U+FFFF and their twins in every
//     plane), which HTML forbids.
//
// A Line (and a Name) also refuses tabs and line breaks, the line and
// paragraph separators U+2028 and U+2029 included. Lines may hold tabs
// and line breaks: CR LF, a lone CR and U+2028 become "\n", U+2029 a
// blank line.
func CheckText(field, s string, kind TextKind) (string, error) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", &Error{Code: EINVALID, Key: "text.invalid", Field: field,
				Detail: fmt.Sprintf("%s is not valid UTF-8 (byte %d is 0x%02x)", field, i+1, s[i])}
		}
		i += size
	}
	if strings.ContainsFunc(s, pastedInvisible) {
		s = strings.Map(func(r rune) rune {
			if pastedInvisible(r) {
				return -1
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	n := 0
	letter := false
	for _, r := range s {
		n++
		letter = letter || unicode.IsLetter(r)
		if err := checkRune(field, n, r, kind); err != nil {
			return "", err
		}
	}
	if kind == Name && s != "" && !letter {
		// An empty name is the caller's to refuse (required or not).
		return "", &Error{Code: EINVALID, Key: "hygiene.text.no_letter", Field: field,
			Detail: fmt.Sprintf("%s %q holds no letter", field, s)}
	}
	if kind == Lines {
		s = lineBreaks.Replace(s)
	}
	return s, nil
}

// Storable reports whether a text of kind may hold r: what a form shows
// back of a refused text keeps only these (the invisibles CheckText drops
// are storable: they are dropped, not refused).
func Storable(r rune, kind TextKind) bool { return checkRune("", 0, r, kind) == nil }

// checkRune is CheckText's rule for the n-th character of a text.
func checkRune(field string, n int, r rune, kind TextKind) error {
	if kind == Lines && (r == '\t' || isLineBreak(r)) {
		return nil
	}
	if isLineBreak(r) || r == '\t' {
		return &Error{Code: EINVALID, Key: "text.one_line", Field: field,
			Detail: fmt.Sprintf("%s must be one line, but character %d is %s (%U)", field, n, lineBreakName(r), r)}
	}
	if isBidiControl(r) {
		return &Error{Code: EINVALID, Key: "hygiene.text.bidi", Field: field,
			Detail: fmt.Sprintf("%s: character %d is a bidirectional control (%U), which would reorder the text around it", field, n, r)}
	}
	if what := refusedRune(r); what != "" {
		return &Error{Code: EINVALID, Key: "text.invalid", Field: field,
			Detail: fmt.Sprintf("%s: character %d is %s (%U), which cannot be stored", field, n, what, r)}
	}
	return nil
}

// pastedInvisible reports whether r is an invisible character that text
// picks up when it is copied, and that CheckText drops.
func pastedInvisible(r rune) bool {
	return r == '\u200B' || r == '\u2060' || r == '\uFEFF'
}

// isBidiControl reports whether r is an explicit bidirectional embedding,
// override or isolate (and their pop).
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
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
	case r >= '\uFDD0' && r <= '\uFDEF', r&0xFFFE == 0xFFFE:
		return "a noncharacter"
	}
	return ""
}

// normaliseStoredEmails rewrites the e-mail addresses stored before
// NormalizeEmail composed them (data migration 0012_text: SQLite has no
// NFC function), so the duplicate
// check finds them. Where the rewritten address is already another live
// signup's for the same event (two signups that were one person all
// along), the row keeps its address: changing it would break the unique
// index, and deleting either would lose a signup someone relies on.
func normaliseStoredEmails(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"signups", "walkins", "ideas", "idea_interests", "users"} {
		rows, err := tx.QueryContext(ctx, `SELECT id, email FROM `+table+` WHERE email <> ''`)
		if err != nil {
			return err
		}
		changed := map[int64]string{}
		for rows.Next() {
			var id int64
			var email string
			if err := rows.Scan(&id, &email); err != nil {
				rows.Close()
				return err
			}
			if n := NormalizeEmail(email); n != email {
				changed[id] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, email := range changed {
			_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET email = ? WHERE id = ?`, email, id)
			if err != nil && !isUniqueViolation(err) {
				return fmt.Errorf("normalise %s %d's e-mail: %w", table, id, err)
			}
		}
	}
	return nil
}
