package sealedmetrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sealedmetrics"
	"github.com/sealedsessions/sealed/sealedmetrics/metricstest"
	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

// The DBSC family moves when a device-binding proof is refused.
func TestDBSCFamilyMoves(t *testing.T) {
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m, err := sessions.New(sessions.Config{
		Keys:        k,
		Revoker:     sessiontest.NewMemRevoker(time.Now),
		DeviceBound: &sessions.DeviceBound{Path: "/dbsc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{Sessions: m, Keys: k}))
	before := metricstest.Gather(t, reg)

	// A logged-in session brings a registration "proof" that is no JWT.
	req := httptest.NewRequest(http.MethodGet, "https://example.test/", nil)
	r, s := m.Load(req)
	if err := s.Login(r.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, r, s); err != nil {
		t.Fatal(err)
	}
	reg2 := httptest.NewRequest(http.MethodPost, "https://example.test/dbsc", nil)
	for _, c := range rec.Result().Cookies() {
		reg2.AddCookie(c)
	}
	reg2.Header.Set(sessions.HeaderSessionResponse, "not.a.jwt")
	out := httptest.NewRecorder()
	m.DBSCHandler().ServeHTTP(out, reg2)
	if out.Code < 400 {
		t.Fatalf("a bogus registration proof answered %d", out.Code)
	}

	after := metricstest.Gather(t, reg)
	metricstest.CheckMoved(t, before, after, "sealed_sessions_dbsc_total{outcome=refused}")
}
