package db_test

// Fuzz targets for the store's rules on what people type. `go test` runs
// each one's seeds as an ordinary test; CI (.ci/run) fuzzes each for a few
// seconds. Each checks properties of the answer, not only that there is
// no panic.

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/torghub/torg/db"
)

// textSeeds are the hostile inputs every text rule starts from.
var textSeeds = []string{
	"", "Kari Nordmann", "Blåbærsyltetøy", "Ærlig Øyvind Åsen", "o\u0308yvind", // NFD ö
	"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "javascript:alert(1)",
	"'); DROP TABLE signups;--", "{{.}}", "=HYPERLINK(\"http://x\")", "x\r\nBcc: a@b.c",
	"a\x00b", "a\tb", "a\rb", "a\nb", "\u202Eevil", "\u200B\u200B", "\xff\xfe", "\xed\xa0\x80", "a\u2028b",
	"\uFDD0", "\U0010FFFF", "\x7f", "\u0085",
}

// FuzzCheckText: what CheckText accepts is valid UTF-8 without a control
// character (but a line break or tab in Lines), and checking it again
// changes nothing; what it refuses, it refuses with the field named.
func FuzzCheckText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		kind := db.Line
		if multi {
			kind = db.Lines
		}
		got, err := db.CheckText("name", s, kind)
		if err != nil {
			if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != "name" {
				t.Fatalf("CheckText(%q): %v (code %q, field %q)", s, err, db.ErrorCode(err), db.ErrorField(err))
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("CheckText(%q) = %q: not UTF-8", s, got)
		}
		for _, r := range got {
			if multi && (r == '\n' || r == '\t') {
				continue
			}
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202A' && r <= '\u202E') {
				t.Fatalf("CheckText(%q, %v) kept %U", s, kind, r)
			}
		}
		again, err := db.CheckText("name", got, kind)
		if err != nil || again != got {
			t.Fatalf("CheckText is not stable on %q: %q, %v", got, again, err)
		}
	})
}

// FuzzSlugify: a slug is never empty, is at most 60 bytes, holds only
// a–z, 0–9 and single inner dashes, and survives a URL path unchanged.
func FuzzSlugify(f *testing.F) {
	for _, s := range append(textSeeds, "Frokostmøte", "Frokostmøte 3. desember", "---", "ÆØÅ æøå", "Straße", "Þórður", "日本語",
		strings.Repeat("a", 100), strings.Repeat("ø ", 50), "../../etc/passwd", "a/b?c#d", "%2F") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		slug := db.Slugify(title)
		if slug == "" || len(slug) > 60 {
			t.Fatalf("Slugify(%q) = %q: empty or longer than 60", title, slug)
		}
		if strings.HasPrefix(slug, "-") || strings.HasSuffix(slug, "-") || strings.Contains(slug, "--") {
			t.Fatalf("Slugify(%q) = %q: a dash at an end or doubled", title, slug)
		}
		for _, r := range slug {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Fatalf("Slugify(%q) = %q: holds %q", title, slug, r)
			}
		}
		if url.PathEscape(slug) != slug {
			t.Fatalf("Slugify(%q) = %q: changes in a URL", title, slug)
		}
		if db.Slugify(slug) != slug {
			t.Fatalf("Slugify is not stable on %q: %q", slug, db.Slugify(slug))
		}
	})
}

// FuzzOrgNumber: an accepted organisation number is nine digits whose
// MOD11 check digit is right, and is accepted again as it is printed.
func FuzzOrgNumber(f *testing.F) {
	for _, s := range []string{"974760673", "974 760 673", "974\u00a0760\u00a0673", "974760674", "123456789", "12345678",
		"9747606730", "97476067a", "٩٧٤٧٦٠٦٧٣", "974-760-673", "", " ", "000000000", "<script>", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits, ok := db.OrgNumber(s)
		if !ok {
			if digits != "" {
				t.Fatalf("OrgNumber(%q) refused but returned %q", s, digits)
			}
			return
		}
		if len(digits) != 9 {
			t.Fatalf("OrgNumber(%q) = %q: not nine digits", s, digits)
		}
		sum := 0
		for i, c := range digits {
			if c < '0' || c > '9' {
				t.Fatalf("OrgNumber(%q) = %q: not digits", s, digits)
			}
			if i < 8 {
				sum += int(c-'0') * []int{3, 2, 7, 6, 5, 4, 3, 2}[i]
			}
		}
		if check := (11 - sum%11) % 11; check == 10 || int(digits[8]-'0') != check {
			t.Fatalf("OrgNumber(%q) = %q: wrong check digit", s, digits)
		}
		printed := digits[:3] + " " + digits[3:6] + " " + digits[6:]
		if again, ok := db.OrgNumber(printed); !ok || again != digits {
			t.Fatalf("OrgNumber(%q) = %q, %v; want %q", printed, again, ok, digits)
		}
	})
}

// FuzzPhoneE164: an accepted number comes back in E.164 ("+", a country
// code, digits only), and reading that again gives the same number. E.164
// caps a number at 15 digits, but the numbering plans the library follows
// are longer in places (Germany's reach 16, found by this fuzzer:
// "+4920100000000000"), so the bound here is the library's, 17.
func FuzzPhoneE164(f *testing.F) {
	for _, s := range []string{"912 34 567", "+47 912 34 567", "0047 91234567", "62 41 00 00", "+46 8 123 456 78",
		"+1 (202) 555-0123", "tel:+4791234567", "91234567 ext. 12", "112", "+", "++4791234567", "9123456789012345678901",
		"٩١٢٣٤٥٦٧", "９１２３４５６７", "<script>", "'); DROP TABLE signups;--", "\x00", "\u202E91234567", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e164, ok := db.PhoneE164(s)
		if !ok {
			return
		}
		if len(e164) < 3 || len(e164) > 18 || e164[0] != '+' || e164[1] == '0' {
			t.Fatalf("PhoneE164(%q) = %q: not E.164", s, e164)
		}
		for _, c := range e164[1:] {
			if c < '0' || c > '9' {
				t.Fatalf("PhoneE164(%q) = %q: not E.164", s, e164)
			}
		}
		if again, ok := db.PhoneE164(e164); !ok || again != e164 {
			t.Fatalf("PhoneE164(%q) = %q, %v; want it unchanged", e164, again, ok)
		}
	})
}
