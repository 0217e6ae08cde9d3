package testutil_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLightDeps pins the split of the test helpers: the tests of keyring
// and sessions, which import this package, link none of the heavy
// dependencies that only the NATS, browser, store and example tests need.
func TestLightDeps(t *testing.T) {
	heavy := []string{
		"github.com/nats-io/",    // nats.go and nats-server: natsrepl and natstest
		"github.com/chromedp/",   // chromedp and cdproto: browsertest
		"github.com/dgraph-io/",  // badger: revocation and revocationtest
		"github.com/prometheus/", // the example's metrics
		"github.com/gorilla/mux", // the example's router
		"golang.org/x/crypto",    // the example's password hashes
	}
	pkgs := []string{"github.com/sealedsessions/sealed/keyring", "github.com/sealedsessions/sealed/sessions"}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-test"}, pkgs...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps -test printed no packages")
	}
	for _, dep := range deps {
		for _, h := range heavy {
			if strings.HasPrefix(dep, h) {
				t.Errorf("go list -deps -test keyring sessions includes %s", dep)
			}
		}
	}
}
