// Package static holds torg's CSS, images and the vendored htmx files,
// embedded in the binary and served at content-hashed URLs so browsers may
// cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed css img js vendor
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Name        string // "css/torg.css"
	HashedName  string // "css/torg.3f2a1b9c0d1e.css"
	ContentType string
	Body        []byte
}

// Assets maps names and hashed names to the embedded files.
type Assets struct {
	byName   map[string]*Asset
	byHashed map[string]*Asset
}

// Load reads every embedded file and computes its hashed name.
func Load() (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, byHashed: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		asset := &Asset{
			Name:        name,
			HashedName:  strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext,
			ContentType: mime.TypeByExtension(ext),
			Body:        body,
		}
		if asset.ContentType == "" {
			asset.ContentType = "text/plain; charset=utf-8"
		}
		a.byName[name] = asset
		a.byHashed[asset.HashedName] = asset
		return nil
	})
	return a, err
}

// URL returns the content-hashed URL of a file, e.g. "/static/css/torg.3f2a1b9c0d1e.css".
// An unknown name yields a plain URL that will 404, so a typo shows in tests.
func (a *Assets) URL(name string) string {
	if asset, ok := a.byName[name]; ok {
		return "/static/" + asset.HashedName
	}
	return "/static/" + name
}

// Lookup finds a file by its hashed name; immutable reports whether the
// name was the hashed one (and so may be cached forever).
func (a *Assets) Lookup(name string) (asset *Asset, immutable bool) {
	if asset, ok := a.byHashed[name]; ok {
		return asset, true
	}
	return a.byName[name], false
}
