package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// validProposal is an idea form that passes every check.
func validProposal() url.Values {
	return url.Values{
		"title": {"Felles beredskapslager"}, "summary": {"Et lager for bedrifter i Elverum."},
		"description": {"Vi vil dele lager.\r\nOg utstyr."}, "sector": {"preparedness"},
		"seeking": {"partner", "test_arena"}, "company": {"Elverum Rør AS"}, "org_number": {"974 760 673"},
		"show_company": {"yes"}, "contact_name": {"Kari Nordmann"}, "email": {"kari@example.no"},
		"phone": {"+47 912 34 567"}, "consent": {"yes"},
	}
}

// ideaCount is how many ideas the store holds, whatever their status.
func ideaCount(tb testing.TB, h *testHub) int {
	tb.Helper()
	n := 0
	for _, status := range []string{db.IdeaPending, db.IdeaPublished, db.IdeaRejected, db.IdeaConnected, db.IdeaRealised, db.IdeaWithdrawn} {
		_, total, err := h.Store.ListIdeas(context.Background(), db.IdeaFilter{Status: status})
		if err != nil {
			tb.Fatal(err)
		}
		n += total
	}
	return n
}

var managePath = regexp.MustCompile(`^/ideas/manage/([A-Za-z0-9_-]{22,})$`)

// propose sends the form and returns the new idea's token.
func propose(tb testing.TB, h *testHub, f url.Values) string {
	tb.Helper()
	r := h.post(tb, "/ideas", f)
	assertStatus(tb, r, http.StatusSeeOther)
	m := managePath.FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		tb.Fatalf("Location: got %q, want /ideas/manage/{token of at least 128 bits}", r.Header.Get("Location"))
	}
	return m[1]
}

// assertIdeaFieldInvalid: the field is marked invalid and described by its
// message. A radio or checkbox group is described on its fieldset, and
// each of its boxes is marked.
func assertIdeaFieldInvalid(tb testing.TB, body, field string) {
	tb.Helper()
	switch field {
	case "sector", "seeking", "show_company":
		fs := regexp.MustCompile(`<fieldset[^>]*\bid="field-` + field + `"[^>]*>`).FindString(body)
		if !strings.Contains(fs, `aria-describedby="`+field+`-error`) {
			tb.Errorf("fieldset of %s is not described by its message: %s", field, fs)
		}
		box := regexp.MustCompile(`<input[^>]*\bid="` + field + `"[^>]*>`).FindString(body)
		if !strings.Contains(box, `aria-invalid="true"`) {
			tb.Errorf("first box of %s lacks aria-invalid: %s", field, box)
		}
		if !strings.Contains(body, `id="`+field+`-error"`) {
			tb.Errorf("field %s has no message element", field)
		}
	default:
		assertInvalid(tb, body, field)
	}
}

func TestProposeIdea(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := newTestHub(t)
		form := h.get(t, "/ideas/new")
		assertStatus(t, form, http.StatusOK)
		assertContains(t, form, `<form id="idea-form" method="post" action="/ideas"`, `name="org_number"`,
			`data-hx-post="/ideas/validate"`, `name="consent"`, `href="/privacy"`,
			// show_company: not by name unless ticked
			`id="show_company" value="no" checked`)
		for _, v := range db.Seeking {
			assertContains(t, form, `name="seeking"`, `value="`+v+`"`)
		}
		for _, v := range db.Sectors {
			assertContains(t, form, `name="sector"`, `value="`+v+`"`)
		}

		token := propose(t, h, validProposal())
		page := h.get(t, "/ideas/manage/"+token)
		assertStatus(t, page, http.StatusOK)
		assertContains(t, page, `data-idea-status="pending"`, "Ideen venter på godkjenning",
			"Ta vare på denne lenken", "https://torg.example.no/ideas/manage/"+token, "Felles beredskapslager")
		idea, err := h.Store.IdeaByToken(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		if idea.Title != "Felles beredskapslager" || idea.OrgNumber != "974760673" || idea.Sector != "preparedness" ||
			strings.Join(idea.Seeking, ",") != "partner,test_arena" || !idea.ShowCompany || idea.Email != "kari@example.no" ||
			idea.Phone != "+4791234567" || idea.Description != "Vi vil dele lager.\nOg utstyr." || idea.Lang != "nb" ||
			idea.Status != db.IdeaPending {
			t.Errorf("stored %+v", idea)
		}
	})

	t.Run("NotByNameByDefault", func(t *testing.T) {
		h := newTestHub(t)
		f := validProposal()
		f.Del("show_company")
		idea, err := h.Store.IdeaByToken(context.Background(), propose(t, h, f))
		if err != nil {
			t.Fatal(err)
		}
		if idea.ShowCompany {
			t.Error("an idea sent without show_company shows the company's name")
		}
	})

	t.Run("PublishAtOnce", func(t *testing.T) {
		h := newTestHub(t)
		assertContains(t, h.get(t, "/ideas/new"), "Arrangørene ser gjennom ideen")
		if err := h.Store.SetSetting(context.Background(), db.SettingIdeasPublishAtOnce, "yes"); err != nil {
			t.Fatal(err)
		}
		assertContains(t, h.get(t, "/ideas/new"), "Andre kan se ideen så snart")
		page := h.get(t, "/ideas/manage/"+propose(t, h, validProposal()))
		assertContains(t, page, `data-idea-status="published"`, "Ideen er publisert")
	})

	t.Run("HTMXRedirect", func(t *testing.T) {
		h := newTestHub(t)
		r := h.do(t, http.MethodPost, "/ideas", validProposal(), map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusOK)
		if !managePath.MatchString(r.Header.Get("HX-Redirect")) {
			t.Fatalf("HX-Redirect: got %q", r.Header.Get("HX-Redirect"))
		}
	})

	t.Run("ErrInvalidFields", func(t *testing.T) {
		const orgnr = "Dette er ikke et gyldig organisasjonsnummer."
		for _, tc := range []struct {
			name, field string
			value       []string
			message     string
		}{
			{"TitleEmpty", "title", []string{""}, "Gi ideen en tittel."},
			{"TitleLong", "title", []string{strings.Repeat("t", 121)}, "Tittelen kan ha høyst 120 tegn."},
			{"SummaryEmpty", "summary", []string{"  "}, "Skriv et kort sammendrag av ideen."},
			{"SummaryLong", "summary", []string{strings.Repeat("s", 301)}, "Sammendraget kan ha høyst 300 tegn."},
			{"DescriptionLong", "description", []string{strings.Repeat("d", 5001)}, "Beskrivelsen kan ha høyst 5000 tegn."},
			{"SectorNone", "sector", nil, "Velg hvilket område ideen hører til."},
			{"SectorUnknown", "sector", []string{"mining"}, "Velg hvilket område ideen hører til."},
			{"SeekingNone", "seeking", nil, "Kryss av for minst én ting dere ser etter."},
			{"SeekingUnknown", "seeking", []string{"partner", "love"}, "Velg blant alternativene som vises."},
			{"CompanyEmpty", "company", []string{""}, "Skriv navnet på virksomheten."},
			{"CompanyLong", "company", []string{strings.Repeat("c", 151)}, "Navnet på virksomheten kan ha høyst 150 tegn."},
			{"OrgNumberEmpty", "org_number", []string{""}, "Skriv organisasjonsnummeret."},
			{"OrgNumberCheckDigit", "org_number", []string{"974 760 674"}, orgnr},
			{"ShowCompanyUnknown", "show_company", []string{"maybe"}, "Velg om navnet på virksomheten kan vises."},
			{"ContactEmpty", "contact_name", []string{""}, "Skriv navnet på kontaktpersonen."},
			{"ContactLong", "contact_name", []string{strings.Repeat("k", 101)}, "Navnet kan ha høyst 100 tegn."},
			{"EmailEmpty", "email", []string{""}, "Skriv e-postadressen din."},
			{"EmailBad", "email", []string{"kari@"}, "Skriv en gyldig e-postadresse"},
			{"EmailLong", "email", []string{strings.Repeat("k", 250) + "@example.no"}, "E-postadressen kan ha høyst 254 tegn."},
			{"PhoneShort", "phone", []string{"1234"}, "Skriv et gyldig telefonnummer"},
			{"PhoneGarbage", "phone", []string{"ring meg"}, "Skriv et gyldig telefonnummer"},
			{"ConsentMissing", "consent", nil, "Du må bekrefte at du har lest personvernerklæringen."},
			{"TitleControl", "title", []string{"Lager\x1b[2J"}, "Teksten inneholder tegn som ikke kan lagres"},
			{"CompanyLineBreak", "company", []string{"Elverum\nRør"}, "Teksten må stå på én linje"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newTestHub(t)
				f := validProposal()
				f[tc.field] = tc.value
				r := h.post(t, "/ideas", f)
				assertStatus(t, r, http.StatusUnprocessableEntity)
				assertContains(t, r, tc.message, `id="error-summary"`, `href="#`+tc.field+`"`, `autofocus`)
				assertIdeaFieldInvalid(t, r.Body, tc.field)
				// Only that field is wrong.
				if n := strings.Count(r.Body, `class="error" id=`); n != 1 {
					t.Errorf("%d messages on the form, want 1", n)
				}
				if n := ideaCount(t, h); n != 0 {
					t.Fatalf("an invalid form stored %d ideas", n)
				}
			})
		}
	})

	// ErrOrgNumber: the organisation number rule, as the form applies it.
	t.Run("ErrOrgNumber", func(t *testing.T) {
		h := newTestHub(t)
		for _, bad := range []string{"974760674", "974 760 670", "97476067", "9747606730", "97476067A", "974-760-673", "abcdefghi", "000 000 001"} {
			f := validProposal()
			f.Set("org_number", bad)
			r := h.post(t, "/ideas", f)
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "ikke et gyldig organisasjonsnummer") {
				t.Errorf("org_number %q: status %d, want 422 with the rule's message", bad, r.StatusCode)
			}
			// What was typed comes back as typed.
			assertContains(t, r, `value="`+bad+`"`)
		}
		for _, good := range []string{"974760673", " 974 760 673 ", "923609016", "984\u00a0851\u00a0006"} {
			f := validProposal()
			f.Set("org_number", good)
			idea, err := h.Store.IdeaByToken(context.Background(), propose(t, h, f))
			if err != nil {
				t.Fatal(err)
			}
			if digits, _ := db.OrgNumber(good); idea.OrgNumber != digits {
				t.Errorf("org_number %q stored as %q, want %q", good, idea.OrgNumber, digits)
			}
		}
		if n := ideaCount(t, h); n != 4 {
			t.Errorf("%d ideas stored, want the 4 with valid numbers", n)
		}
	})

	t.Run("ErrEnglish", func(t *testing.T) {
		h := newTestHub(t)
		f := validProposal()
		f.Set("org_number", "974760674")
		r := h.do(t, http.MethodPost, "/ideas", f, map[string]string{"Accept-Language": "en"})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, `<html lang="en">`, "This is not a valid organisation number.")
	})

	// KeepsWhatWasTyped: a form with one mistake comes back with every
	// other field as typed — radios, checkboxes and consent too.
	t.Run("KeepsWhatWasTyped", func(t *testing.T) {
		h := newTestHub(t)
		f := validProposal()
		f.Set("org_number", "974 760 674")
		f["seeking"] = []string{"pilot_customer", "premises", "competence"}
		f.Set("sector", "both")
		r := h.post(t, "/ideas", f)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r,
			`value="Felles beredskapslager"`, ">Et lager for bedrifter i Elverum.</textarea>",
			">Vi vil dele lager.\nOg utstyr.</textarea>", `value="Elverum Rør AS"`, `value="974 760 674"`,
			`value="Kari Nordmann"`, `value="kari@example.no"`, `value="&#43;47 912 34 567"`,
			`id="sector-both" value="both" checked`, `id="show_company-yes" value="yes" checked`,
			`id="seeking-pilot_customer" value="pilot_customer" checked`, `id="seeking-premises" value="premises" checked`,
			`id="seeking-competence" value="competence" checked`, `id="consent" name="consent" value="yes" required checked`)
		for _, unticked := range []string{`id="seeking" value="partner" checked`, `id="seeking-test_arena" value="test_arena" checked`,
			`id="show_company" value="no" checked`, `id="sector-preparedness" value="preparedness" checked`} {
			if strings.Contains(r.Body, unticked) {
				t.Errorf("the form came back with %s, which was not chosen", unticked)
			}
		}
	})

	t.Run("HTMXFragment", func(t *testing.T) {
		h := newTestHub(t)
		f := validProposal()
		f.Set("title", "")
		r := h.do(t, http.MethodPost, "/ideas", f, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.HasPrefix(strings.TrimSpace(r.Body), `<form id="idea-form"`) || strings.Contains(r.Body, "<html") {
			t.Fatalf("htmx got more than the form:\n%.300s", r.Body)
		}
		assertContains(t, r, "Gi ideen en tittel.", `id="error-summary"`)
	})

	t.Run("ValidateOneField", func(t *testing.T) {
		h := newTestHub(t)
		r := h.do(t, http.MethodPost, "/ideas/validate", url.Values{"org_number": {"974 760 674"}},
			map[string]string{"HX-Request": "true", "HX-Trigger-Name": "org_number"})
		assertStatus(t, r, http.StatusOK)
		assertInvalid(t, r.Body, "org_number")
		assertContains(t, r, "ikke et gyldig organisasjonsnummer", `value="974 760 674"`)
		if strings.Contains(r.Body, "Gi ideen en tittel.") || strings.Contains(r.Body, "Skriv navnet på virksomheten.") {
			t.Fatal("validating the org number also reported the fields not yet filled")
		}
		ok := h.do(t, http.MethodPost, "/ideas/validate", url.Values{"org_number": {"974 760 673"}},
			map[string]string{"HX-Request": "true", "HX-Trigger-Name": "org_number"})
		assertStatus(t, ok, http.StatusOK)
		if strings.Contains(ok.Body, "ikke et gyldig organisasjonsnummer") {
			t.Fatal("a valid org number got the message")
		}
		// Even a whole valid form is only checked, never stored.
		assertStatus(t, h.do(t, http.MethodPost, "/ideas/validate", validProposal(),
			map[string]string{"HX-Request": "true", "HX-Trigger-Name": "title"}), http.StatusOK)
		if n := ideaCount(t, h); n != 0 {
			t.Fatalf("validation stored %d ideas", n)
		}
	})

	// Escaped: whatever was typed comes back as text, never as markup.
	t.Run("Escaped", func(t *testing.T) {
		h := newTestHub(t)
		f := url.Values{"consent": {"yes"}}
		for _, field := range []string{"title", "summary", "description", "company", "org_number", "contact_name", "email", "phone"} {
			f.Set(field, evilText)
		}
		r := h.post(t, "/ideas", f)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertNoRawMarkup(t, r)
		assertContains(t, r, "&lt;script&gt;alert(1)&lt;/script&gt;")
	})

	t.Run("GetWritesNothing", func(t *testing.T) {
		h := newTestHub(t)
		before := h.Store.Revision()
		for range 2 {
			assertStatus(t, h.get(t, "/ideas/new"), http.StatusOK)
			assertStatus(t, h.get(t, "/ideas/new?lang=en"), http.StatusOK)
		}
		if after := h.Store.Revision(); after != before {
			t.Errorf("GET /ideas/new moved the revision from %d to %d", before, after)
		}
	})
}

// evilText is user text that would be markup if it were not escaped.
const evilText = `<script>alert(1)</script>" onmouseover="x' onfocus='y`

// assertNoRawMarkup fails when evilText came back unescaped.
func assertNoRawMarkup(tb testing.TB, r response) {
	tb.Helper()
	for _, raw := range []string{"<script>alert", `" onmouseover="x`, `' onfocus='y`} {
		if strings.Contains(r.Body, raw) {
			tb.Errorf("%s %s: user text came back unescaped (%s)", r.Request.Method, r.Request.URL.Path, raw)
		}
	}
}
