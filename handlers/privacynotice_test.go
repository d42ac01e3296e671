package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/torghub/torg/db"
)

// TestPrivacyNotice: the notice names the data controller, states the
// retention periods the purge uses (from the same settings), lists every
// cookie and shows its version; a signup records that version and its
// data export shows it.
func TestPrivacyNotice(t *testing.T) {
	h := newAdminHub(t)
	if err := h.Store.SetSetting(context.Background(), db.SettingOwner, "Elverum kommune"); err != nil {
		t.Fatal(err)
	}
	p := h.get(t, "/privacy")
	assertStatus(t, p, http.StatusOK)
	assertContains(t, p, "er behandlingsansvarlig for opplysningene", "Elverum kommune",
		"slettes automatisk 90 dager etter arrangementet", "slettes 30 dager etter at ideen er avvist",
		"<code>lang</code>", "<code>supporter</code>", "<code>torg_session</code>", "<code>torg_csrf</code>",
		"Husker språket du har valgt", "Versjon av personvernerklæringen: "+db.PrivacyNoticeVersion)
	en := h.do(t, http.MethodGet, "/privacy?lang=en", nil, nil)
	assertContains(t, en, "is the data controller", "erased automatically 90 days after the event",
		"Version of the privacy notice: "+db.PrivacyNoticeVersion)

	// The periods come from the settings the purge reads.
	admin := signedIn(t, h, db.RoleAdmin)
	form := url.Values{"retention_days": {"0"}, "idea_retention_days": {"fire"}}
	r := admin.post(t, "/admin/settings", form)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Skriv et helt antall dager fra 1 til 3650", `href="#retention_days"`, `href="#idea_retention_days"`,
		`value="fire"`, `inputmode="numeric"`)
	form = url.Values{"retention_days": {"120"}, "idea_retention_days": {"14"}}
	assertStatus(t, admin.post(t, "/admin/settings", form), http.StatusSeeOther)
	if policy, err := h.Store.Retention(context.Background()); err != nil || policy != (db.RetentionPolicy{SignupDays: 120, IdeaDays: 14}) {
		t.Fatalf("retention after saving: %+v %v", policy, err)
	}
	assertContains(t, h.get(t, "/privacy"), "slettes automatisk 120 dager etter", "slettes 14 dager etter at ideen")

	// The consent records the version.
	r = h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
	assertStatus(t, r, http.StatusSeeOther)
	d := h.get(t, r.Header.Get("Location")+"/data.json")
	var got struct {
		Signup struct {
			PrivacyVersion string `json:"privacy_version"`
		}
	}
	if err := json.Unmarshal([]byte(d.Body), &got); err != nil || got.Signup.PrivacyVersion != db.PrivacyNoticeVersion {
		t.Fatalf("data.json's privacy_version %q (%v), want %q", got.Signup.PrivacyVersion, err, db.PrivacyNoticeVersion)
	}
}
