package sealedmetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/keyring"
)

var (
	descKeys           = desc("keyring_keys", `Keys in the keyring in force, by use: "open" counts every key that opens cookies (the primary included), "seal" the primary alone (1).`, "use")
	descKeyringInfo    = desc("keyring_info", "Always 1; its label names the primary key in force, so a rotation shows when every instance has it.", "primary_id")
	descReloadFailures = desc("keyring_reload_failures_total", "Checks of the keyring file that failed (at most one per watch interval or Reload): the instance kept its keyring.")
	descKeyringStale   = desc("keyring_reload_stale", "1 while the keyring file holds a change the instance failed to load (a rotation or retirement not in force here).")
)

// watchStatus is what a *keyring.Watcher adds to a keyring.Source.
type watchStatus interface{ Status() keyring.WatchStatus }

func keyringPart(keys keyring.Source) part {
	p := part{descs: []*prometheus.Desc{descKeys, descKeyringInfo}}
	w, watched := keys.(watchStatus)
	if watched {
		p.descs = append(p.descs, descReloadFailures, descKeyringStale)
	}
	p.collect = func(ch chan<- prometheus.Metric) {
		if kr := keys.Keyring(); kr != nil && kr.Len() > 0 {
			gauge(ch, descKeys, float64(kr.Len()), "open")
			gauge(ch, descKeys, 1, "seal")
			gauge(ch, descKeyringInfo, 1, kr.Primary().ID)
		} else {
			gauge(ch, descKeys, 0, "open")
			gauge(ch, descKeys, 0, "seal")
		}
		if watched {
			st := w.Status()
			counter(ch, descReloadFailures, st.FailuresTotal)
			gauge(ch, descKeyringStale, flag(st.Stale))
		}
	}
	return p
}
