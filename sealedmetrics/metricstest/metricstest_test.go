package metricstest_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/sealedmetrics/metricstest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, _ ...any) { r.errs = append(r.errs, format) }

func TestGatherAndParseAgree(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sealed_things_total", Help: "h"}, []string{"b", "a"})
	reg.MustRegister(c, prometheus.NewCounter(prometheus.CounterOpts{Name: "other_total", Help: "h"}))
	c.WithLabelValues("2", "1").Add(3)
	got := metricstest.Gather(t, reg)
	if len(got.Values) != 1 || got.Values["sealed_things_total{a=1,b=2}"] != 3 {
		t.Errorf("Gather = %v, want sealed_things_total{a=1,b=2} 3 alone", got.Values)
	}
	text := "# TYPE sealed_things_total counter\nsealed_things_total{b=\"2\",a=\"1\"} 3\n# TYPE x gauge\nx 1\n"
	if parsed := metricstest.Parse(t, strings.NewReader(text)); len(parsed.Values) != 1 || parsed.Values["sealed_things_total{a=1,b=2}"] != 3 {
		t.Errorf("Parse = %v, want what Gather gave", parsed.Values)
	}
}

func TestChecksFail(t *testing.T) {
	text := "# TYPE sealed_a_total gauge\nsealed_a_total 1\n# TYPE sealed_b_delay_seconds counter\nsealed_b_delay_seconds 1\n# TYPE sealed_c gauge\nsealed_c 2\n# TYPE sealed_d_age_seconds gauge\nsealed_d_age_seconds 2\n"
	s := metricstest.Parse(t, strings.NewReader(text))
	r := &recorder{TB: t}
	metricstest.CheckTypes(r, s)
	if len(r.errs) != 2 {
		t.Errorf("CheckTypes reported %d problems, want 2 (a gauge _total, a counter _delay_seconds)", len(r.errs))
	}
	r.errs = nil
	metricstest.CheckMoved(r, s, s, "sealed_c", "sealed_missing")
	if len(r.errs) != 2 {
		t.Errorf("CheckMoved reported %d series, want 2", len(r.errs))
	}
}
