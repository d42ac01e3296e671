package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/torghub/torg/db"
)

// Words that ideas in health and preparedness are made of, compounds
// included, so that searching for a part of one ("lager") has work to do.
var (
	ideaNouns = []string{"beredskapslager", "velferdsteknologi", "øvelse", "hjemmetjeneste", "førstehjelpskurs",
		"strømaggregat", "vannforsyning", "sykehusavtale", "krisekommunikasjon", "droneovervåking", "legevakt",
		"matberedskap", "evakueringsplan", "sensorsystem", "rehabilitering", "helseplattform", "digital hjemmeoppfølging"}
	ideaWords = []string{"felles", "regional", "for bedrifter", "i Elverum", "på Terningen", "med kommunen",
		"for eldre", "for frivillige", "i Innlandet", "med Forsvaret", "for gårdsbruk", "i hjemmet"}
	ideaCompanies = []string{"Elverum Rør AS", "Sykehuset Innlandet HF", "Norsk Folkehjelp Elverum", "Terningen Nettverk",
		"Hedmark Sikring AS", "Innlandet Helseteknologi AS", "Glommen Beredskap", "Østerdalen IT"}
)

// seedIdeas stores n published ideas, built from the words above at
// random (the same every time), straight through the store.
func seedIdeas(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-ideas", flag.ContinueOnError)
	path := fs.String("db", "", "database file")
	n := fs.Int("n", 5000, "how many ideas")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	for i := range *n {
		noun := []rune(pick(ideaNouns))
		title := strings.ToUpper(string(noun[:1])) + string(noun[1:]) + " " + pick(ideaWords)
		var seeking []string
		for _, s := range db.Seeking {
			if r.IntN(3) == 0 {
				seeking = append(seeking, s)
			}
		}
		idea, err := store.CreateIdea(ctx, db.NewIdea{
			Title:       title,
			Summary:     fmt.Sprintf("Vi vil bygge %s %s sammen med andre.", pick(ideaNouns), pick(ideaWords)),
			Description: strings.Repeat(pick(ideaNouns)+" "+pick(ideaWords)+". ", 12),
			Company:     pick(ideaCompanies), OrgNumber: "974760673", ContactName: "Kari Nordmann",
			Email: fmt.Sprintf("idea%d@example.no", i), Sector: pick(db.Sectors), Seeking: seeking, ShowCompany: r.IntN(2) == 0,
		})
		if err != nil {
			return err
		}
		if _, err := store.SetIdeaStatus(ctx, idea.ID, db.IdeaPublished, ""); err != nil {
			return err
		}
	}
	return dropSeededMail(ctx, *path)
}
