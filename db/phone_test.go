package db

import "testing"

func TestPhoneE164(t *testing.T) {
	for in, want := range map[string]string{
		"912 34 567":       "+4791234567", // mobile, Norwegian by default
		"+47 912 34 567":   "+4791234567",
		"0047 91234567":    "+4791234567",
		"62 41 00 00":      "+4762410000",  // a landline
		"+46 8 123 456 78": "+46812345678", // Sweden
		"+46701234567":     "+46701234567",
	} {
		got, ok := PhoneE164(in)
		if !ok || got != want {
			t.Errorf("PhoneE164(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "123", "912345678901234", "+47 1234", "ring meg"} {
		if got, ok := PhoneE164(in); ok {
			t.Errorf("PhoneE164(%q) = %q, accepted; want refused", in, got)
		}
	}
}
