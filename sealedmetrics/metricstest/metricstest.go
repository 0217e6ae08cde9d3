// Package metricstest helps tests check sealed_ metrics: it flattens what
// a registry or a /metrics page holds into one number per series, checks
// each family's type against its name, and tells which series did not
// move between two scrapes.
package metricstest

import (
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one gathering of the sealed_ families: Values holds each
// series under `name{k=v,...}` (labels sorted, no quotes; a histogram by
// its sample count), Types each family's type.
type Scrape struct {
	Values map[string]float64
	Types  map[string]dto.MetricType
}

// Gather gathers g's sealed_ families.
func Gather(t testing.TB, g prometheus.Gatherer) Scrape {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatalf("metricstest: gather: %v", err)
	}
	return flatten(fams)
}

// Parse reads a /metrics page in the Prometheus text format.
func Parse(t testing.TB, text io.Reader) Scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := p.TextToMetricFamilies(text)
	if err != nil {
		t.Fatalf("metricstest: parse: %v", err)
	}
	fams := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		fams = append(fams, f)
	}
	return flatten(fams)
}

func flatten(fams []*dto.MetricFamily) Scrape {
	s := Scrape{Values: map[string]float64{}, Types: map[string]dto.MetricType{}}
	for _, f := range fams {
		name := f.GetName()
		if !strings.HasPrefix(name, "sealed_") {
			continue
		}
		s.Types[name] = f.GetType()
		for _, m := range f.GetMetric() {
			s.Values[key(name, m)] = value(m)
		}
	}
	return s
}

func key(name string, m *dto.Metric) string {
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, l.GetName()+"="+l.GetValue())
	}
	if len(labels) == 0 {
		return name
	}
	sort.Strings(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

// CheckTypes fails t for each family whose type does not match its name:
// _total a counter, _duration_seconds and _delay_seconds a histogram,
// anything else (an _age_seconds or a _timestamp_seconds included) a
// gauge.
func CheckTypes(t testing.TB, s Scrape) {
	t.Helper()
	for name, typ := range s.Types {
		want := dto.MetricType_GAUGE
		switch {
		case strings.HasSuffix(name, "_total"):
			want = dto.MetricType_COUNTER
		case strings.HasSuffix(name, "_duration_seconds") || strings.HasSuffix(name, "_delay_seconds"):
			want = dto.MetricType_HISTOGRAM
		}
		if typ != want {
			t.Errorf("%s is a %v, want a %v", name, typ, want)
		}
	}
}

// CheckMoved fails t for each series that did not grow from before to
// after.
func CheckMoved(t testing.TB, before, after Scrape, series ...string) {
	t.Helper()
	for _, k := range series {
		if after.Values[k] <= before.Values[k] {
			t.Errorf("%s did not move: %v, then %v", k, before.Values[k], after.Values[k])
		}
	}
}
