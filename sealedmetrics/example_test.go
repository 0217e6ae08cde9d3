package sealedmetrics_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sealedmetrics"
	"github.com/sealedsessions/sealed/sessions"
)

// Register a Collector and serve the registry; each scrape reads the
// components' counters.
func ExampleNew() {
	keys, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	// A real application passes its revocation store as the Revoker and in
	// Config.Revocation.
	m, err := sessions.New(sessions.Config{Keys: keys, InsecureNoRevocation: true})
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{Sessions: m, Keys: keys}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})

	m.Load(httptest.NewRequest("GET", "/", nil)) // a visitor without a cookie

	rec := httptest.NewRecorder()
	metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if strings.Contains(line, "sealed_sessions_new_total") || strings.Contains(line, `use="open"`) {
			fmt.Println(line)
		}
	}
	// Output:
	// sealed_keyring_keys{use="open"} 1
	// # HELP sealed_sessions_new_total Fresh sessions: the request had no session cookie, or every one was refused.
	// # TYPE sealed_sessions_new_total counter
	// sealed_sessions_new_total 1
}
