package db

import (
	"time"
	_ "time/tzdata" // Europe/Oslo must resolve on a machine without zoneinfo
)

// Oslo is the time zone every event is planned in.
var Oslo = mustLoadOslo()

func mustLoadOslo() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic("Europe/Oslo: " + err.Error()) // cannot happen: time/tzdata is embedded
	}
	return loc
}
