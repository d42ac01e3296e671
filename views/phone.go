package views

import "github.com/nyaruka/phonenumbers"

// PhoneForReading shows a stored number (E.164, "+4791234567") grouped as
// people read it ("+47 912 34 567"). A value stored before numbers were
// kept in E.164 is shown as it was typed.
func PhoneForReading(e164 string) string {
	n, err := phonenumbers.Parse(e164, "NO")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
