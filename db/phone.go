package db

import (
	"context"
	"database/sql"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneRegion is the country a number without a +country prefix is read
// in: the hub's residents write Norwegian numbers as eight digits.
const PhoneRegion = "NO"

// PhoneE164 reads a telephone number as people write it ("912 34 567",
// "62 41 00 00", "+46 8 123 456 78", "0047 91234567") and returns it in
// E.164 ("+4791234567"), the one form it is stored in. Any number that is
// valid where it belongs is accepted, mobile or landline, Norwegian or
// not: the library knows each country's numbering plan, a regular
// expression would not. ok is false for anything that is not a number.
func PhoneE164(s string) (e164 string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	n, err := phonenumbers.Parse(s, PhoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// cleanPhone is the store's rule for an optional phone field: empty stays
// empty, anything else must be a valid number and is kept in E.164.
func cleanPhone(phone string) (string, error) {
	if phone == "" {
		return "", nil
	}
	e164, ok := PhoneE164(phone)
	if !ok {
		return "", &Error{Code: EINVALID, Key: "validation.phone.phone", Field: "phone", Detail: "not a valid phone number"}
	}
	return e164, nil
}

// dataMigrations are migrations SQL alone cannot write, by version; they
// run in order with migrations/*.sql, each once, in its own transaction.
var dataMigrations = map[string]func(context.Context, *sql.Tx) error{
	"0012_text":        normaliseStoredEmails, // text.go
	"0013_phones_e164": phonesToE164,
}

// phonesToE164 rewrites the phone numbers stored before the store kept
// them in E.164 ("900 00 000", "+47 62 41 00 00") in that form, so that
// every number reads, compares and exports the same way. A number the
// library cannot read is left exactly as the person wrote it: changed
// data would be worse than an odd one.
func phonesToE164(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"signups", "ideas"} {
		rows, err := tx.QueryContext(ctx, `SELECT id, phone FROM `+table+` WHERE phone != ''`)
		if err != nil {
			return err
		}
		changed := map[int64]string{}
		for rows.Next() {
			var id int64
			var phone string
			if err := rows.Scan(&id, &phone); err != nil {
				rows.Close()
				return err
			}
			if e164, ok := PhoneE164(phone); ok && e164 != phone {
				changed[id] = e164
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, e164 := range changed {
			if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET phone = ? WHERE id = ?`, e164, id); err != nil {
				return err
			}
		}
	}
	return nil
}
