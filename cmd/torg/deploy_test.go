package main

import (
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// repoRoot is where the deploy files are, seen from this package's folder
// (go test runs a package's tests in its folder).
const repoRoot = "../.."

// torgShutdownGrace is how long Main.Close lets requests in flight finish
// (its context.WithTimeout). A kill timeout shorter than this plus LiteFS's
// own stop cuts the graceful shutdown short.
const torgShutdownGrace = 10 * time.Second

// flyConfig is the part of a fly.toml these tests check.
type flyConfig struct {
	App           string            `toml:"app"`
	PrimaryRegion string            `toml:"primary_region"`
	KillSignal    string            `toml:"kill_signal"`
	KillTimeout   any               `toml:"kill_timeout"` // "30s" or a number of seconds
	Env           map[string]string `toml:"env"`
	Build         struct {
		Dockerfile string `toml:"dockerfile"`
	} `toml:"build"`
	Mounts struct {
		Source      string `toml:"source"`
		Destination string `toml:"destination"`
	} `toml:"mounts"`
	HTTPService struct {
		InternalPort      int  `toml:"internal_port"`
		AutoStopMachines  any  `toml:"auto_stop_machines"` // "off" or false
		AutoStartMachines bool `toml:"auto_start_machines"`
		Checks            []struct {
			Method string `toml:"method"`
			Path   string `toml:"path"`
		} `toml:"checks"`
	} `toml:"http_service"`
}

func readFlyConfig(t *testing.T, name string) flyConfig {
	t.Helper()
	var c flyConfig
	if _, err := toml.DecodeFile(filepath.Join(repoRoot, name), &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// liteFSConfig is the part of litefs.yml these tests check, in LiteFS's
// own key names (cmd/litefs/config.go at v0.5.14).
type liteFSConfig struct {
	ExitOnError *bool `yaml:"exit-on-error"`
	FUSE        struct {
		Dir        string `yaml:"dir"`
		AllowOther bool   `yaml:"allow-other"`
	} `yaml:"fuse"`
	Data struct {
		Dir string `yaml:"dir"`
	} `yaml:"data"`
	HTTP struct {
		Addr string `yaml:"addr"`
	} `yaml:"http"`
	Proxy *struct {
		Addr string `yaml:"addr"`
	} `yaml:"proxy"`
	Lease struct {
		Type         string `yaml:"type"`
		Candidate    string `yaml:"candidate"` // an expression LiteFS expands
		AdvertiseURL string `yaml:"advertise-url"`
		Consul       struct {
			URL string `yaml:"url"`
			Key string `yaml:"key"`
		} `yaml:"consul"`
	} `yaml:"lease"`
	Exec []struct {
		Cmd string `yaml:"cmd"`
	} `yaml:"exec"`
}

func readLiteFSConfig(t *testing.T) liteFSConfig {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "litefs.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c liteFSConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("litefs.yml: %v", err)
	}
	return c
}

// port is the port of a listen address such as ":8080".
func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return p
}

func killTimeout(t *testing.T, name string, v any) time.Duration {
	t.Helper()
	switch v := v.(type) {
	case nil:
		return 5 * time.Second // Fly's default
	case int64:
		return time.Duration(v) * time.Second
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s kill_timeout %q: %v", name, v, err)
		}
		return d
	}
	t.Fatalf("%s kill_timeout: %v (%T)", name, v, v)
	return 0
}

// TestFlyConfigs: both Fly setups line up with torg and with each other.
// Fly's proxy reaches torg on TORG_ADDR's port; the health check asks a
// path torg answers 200; the kill timeout outlasts torg's graceful stop;
// the database is on the volume (one machine) or in LiteFS's mount.
func TestFlyConfigs(t *testing.T) {
	m, _ := bootMain(t, Config{})
	for _, name := range []string{"fly.toml", "fly.litefs.toml"} {
		c := readFlyConfig(t, name)
		if got, want := port(t, c.Env["TORG_ADDR"]), c.HTTPService.InternalPort; got != strconv.Itoa(want) {
			t.Errorf("%s: TORG_ADDR listens on port %s, Fly's proxy sends to internal_port %d", name, got, want)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, c.Build.Dockerfile)); err != nil {
			t.Errorf("%s: [build] dockerfile: %v", name, err)
		}
		if c.Env["TORG_BASE_URL"] == "" || c.Env["TORG_TRUSTED_PROXY"] != "fly" {
			t.Errorf("%s: want TORG_BASE_URL set and TORG_TRUSTED_PROXY=fly, got %q, %q", name, c.Env["TORG_BASE_URL"], c.Env["TORG_TRUSTED_PROXY"])
		}
		// Fly gives the process kill_timeout after kill_signal, then kills
		// it; torg needs its grace and a few seconds to close the store
		// (and, on LiteFS, for LiteFS to hand the lease over).
		if d := killTimeout(t, name, c.KillTimeout); d < torgShutdownGrace+10*time.Second {
			t.Errorf("%s: kill_timeout %v, want at least %v (torg's %v to finish requests, then closing)", name, d, torgShutdownGrace+10*time.Second, torgShutdownGrace)
		}
		if c.KillSignal != "" && c.KillSignal != "SIGINT" && c.KillSignal != "SIGTERM" {
			t.Errorf("%s: kill_signal %s: torg stops gracefully on SIGINT or SIGTERM only", name, c.KillSignal)
		}
		if len(c.HTTPService.Checks) == 0 {
			t.Errorf("%s: no health check", name)
		}
		for _, check := range c.HTTPService.Checks {
			if check.Method != http.MethodGet {
				t.Errorf("%s: health check method %q, want GET (a replica answers a POST with fly-replay)", name, check.Method)
			}
			if status, _ := get(t, m.URL()+check.Path); status != http.StatusOK {
				t.Errorf("%s: health check GET %s: torg answers %d", name, check.Path, status)
			}
		}
	}

	single := readFlyConfig(t, "fly.toml")
	if got := path.Dir(single.Env["TORG_DB"]); got != single.Mounts.Destination {
		t.Errorf("fly.toml: TORG_DB is in %s, the volume is mounted on %s: the database would be lost on a redeploy", got, single.Mounts.Destination)
	}

	litefs, lfs := readFlyConfig(t, "fly.litefs.toml"), readLiteFSConfig(t)
	if got := path.Dir(litefs.Env["TORG_DB"]); got != lfs.FUSE.Dir {
		t.Errorf("fly.litefs.toml: TORG_DB is in %s, LiteFS's mount (litefs.yml fuse.dir) is %s: nothing would be replicated", got, lfs.FUSE.Dir)
	}
	if litefs.Mounts.Destination != lfs.Data.Dir {
		t.Errorf("fly.litefs.toml: the volume is mounted on %s, LiteFS keeps its data in %s (litefs.yml data.dir)", litefs.Mounts.Destination, lfs.Data.Dir)
	}
	// Mail without SMTP goes to TORG_MAIL_DIR: it cannot be in LiteFS's
	// mount (only SQLite's files can be made there) and must outlive a
	// redeploy (on the volume); litefs.yml makes it torg's before torg
	// starts, as the volume is root's.
	mailDir := litefs.Env["TORG_MAIL_DIR"]
	if !path.IsAbs(mailDir) || !strings.HasPrefix(mailDir, litefs.Mounts.Destination+"/") || strings.HasPrefix(mailDir+"/", lfs.FUSE.Dir+"/") {
		t.Errorf("fly.litefs.toml: TORG_MAIL_DIR %q, want a folder on the volume (%s), outside LiteFS's mount (%s)", mailDir, litefs.Mounts.Destination, lfs.FUSE.Dir)
	}
	madeTorgs := false
	for _, e := range lfs.Exec[:max(len(lfs.Exec)-1, 0)] {
		f := strings.Fields(e.Cmd)
		madeTorgs = madeTorgs || len(f) > 0 && f[0] == "install" && slices.Contains(f, "-d") && slices.Contains(f, "${TORG_MAIL_DIR}") &&
			strings.Contains(e.Cmd, "-o torg")
	}
	if !madeTorgs {
		t.Error("litefs.yml: no exec command before torg's makes ${TORG_MAIL_DIR} the user torg's (install -d -o torg …): torg could not write mail there")
	}
	if litefs.Mounts.Source == single.Mounts.Source {
		t.Errorf("fly.litefs.toml: volume %q is the single machine's: a switch would mount the old database file as LiteFS's data", litefs.Mounts.Source)
	}
	// LiteFS's docs: a machine Fly's proxy starts on its own can win the
	// lease with old data, and writes are lost.
	if v := litefs.HTTPService.AutoStopMachines; v != "off" && v != false {
		t.Errorf("fly.litefs.toml: auto_stop_machines = %v, want \"off\"", v)
	}
	if litefs.HTTPService.AutoStartMachines {
		t.Error("fly.litefs.toml: auto_start_machines = true, want false")
	}
}

// TestLiteFSConfig: litefs.yml says what torg and Fly need of it.
func TestLiteFSConfig(t *testing.T) {
	c := readLiteFSConfig(t)
	// LiteFS's proxy does not carry websockets (superfly/litefs#427):
	// the screens would connect and receive nothing.
	if c.Proxy != nil {
		t.Errorf("litefs.yml has a proxy section (addr %q): LiteFS's proxy breaks the screens' websockets; torg answers fly-replay itself", c.Proxy.Addr)
	}
	if c.Lease.Type != "consul" || c.Lease.Consul.URL != "${FLY_CONSUL_URL}" {
		t.Errorf("lease: type %q, consul url %q; want consul at ${FLY_CONSUL_URL} (fly consul attach)", c.Lease.Type, c.Lease.Consul.URL)
	}
	if c.Lease.Consul.Key == "" {
		t.Error("lease: no consul key")
	}
	if c.Lease.Candidate != "${FLY_REGION == PRIMARY_REGION}" {
		t.Errorf("lease candidate %q: want only machines in the primary region to become primary", c.Lease.Candidate)
	}
	advertise := regexp.MustCompile(`^http://\$\{HOSTNAME\}\.vm\.\$\{FLY_APP_NAME\}\.internal:(\d+)$`).FindStringSubmatch(c.Lease.AdvertiseURL)
	if advertise == nil || advertise[1] != port(t, c.HTTP.Addr) {
		t.Errorf("lease advertise-url %q: want http://${HOSTNAME}.vm.${FLY_APP_NAME}.internal on http.addr's port (%s)", c.Lease.AdvertiseURL, c.HTTP.Addr)
	}
	if c.FUSE.Dir == c.Data.Dir || c.FUSE.Dir == "" || c.Data.Dir == "" {
		t.Errorf("fuse.dir %q and data.dir %q must both be set and differ", c.FUSE.Dir, c.Data.Dir)
	}
	if len(c.Exec) == 0 {
		t.Fatal("litefs.yml: no exec: LiteFS would not start torg")
	}
	last := strings.Fields(c.Exec[len(c.Exec)-1].Cmd)
	serve := -1
	for i := range len(last) - 1 {
		if last[i] == "torg" && last[i+1] == "serve" {
			serve = i
		}
	}
	if serve < 0 {
		t.Fatalf("litefs.yml: the last exec command %q does not run torg serve", c.Exec[len(c.Exec)-1].Cmd)
	}
	// Run as another user, torg can open the mount only if LiteFS (root)
	// lets other users in.
	if serve > 0 && last[0] == "setpriv" && !c.FUSE.AllowOther {
		t.Error("litefs.yml: torg runs as another user (setpriv) but fuse.allow-other is false: it could not open the database")
	}

	// The image copies this file where LiteFS looks for it, and builds the
	// LiteFS that CI tests.
	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile.litefs"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "COPY litefs.yml /etc/litefs.yml") {
		t.Error("Dockerfile.litefs does not copy litefs.yml to /etc/litefs.yml")
	}
	version := regexp.MustCompile(`github\.com/superfly/litefs/cmd/litefs@(v[0-9.]+)`)
	if inImage, inCI := version.FindSubmatch(dockerfile), version.FindSubmatch(ci); inImage == nil || inCI == nil || string(inImage[1]) != string(inCI[1]) {
		t.Errorf("LiteFS in Dockerfile.litefs (%q) is not the one .ci/run tests (%q)", inImage, inCI)
	}
}
