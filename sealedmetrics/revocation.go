package sealedmetrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

var (
	descEntries     = desc("revocation_entries", `Entries in the revocation list, by kind: revoked session IDs ("session"), users with a cut-off ("user"), and whether a global cut-off is set ("all", 0 or 1).`, "kind")
	descDiskBytes   = desc("revocation_disk_bytes", "Space taken by the revocation list's Badger files.")
	descWrites      = desc("revocation_writes_total", "Synced writes to the revocation list's Badger store: local revocations, replicated events, outbox acknowledgements.")
	descWriteErrors = desc("revocation_write_errors_total", "Writes to the revocation list's store that failed (a full or failing disk); a failed local revocation is an error to its caller.")
	descWriteTime   = desc("revocation_write_duration_seconds", "Time to commit a write to the revocation list's store, fsync included.")
	descDiskFree    = desc("revocation_disk_free_bytes", "Free space on the revocation store's filesystem (-1 where unknown).")
	descDiskReserve = desc("revocation_disk_reserve_bytes", "Free space below which the revocation store refuses writes (revocation.ErrDiskFull).")
	descRefusing    = desc("revocation_writes_refused", "1 while the revocation store refuses writes for lack of disk space; lookups still answer.")
	descLastGC      = desc("revocation_last_gc_timestamp_seconds", "When the store's housekeeping last ran (Unix time); 0 if not yet.")
)

func revocationPart(s *revocation.Store) part {
	return part{
		descs: []*prometheus.Desc{descEntries, descDiskBytes, descWrites, descWriteErrors, descWriteTime, descLastGC, descDiskFree, descDiskReserve, descRefusing},
		collect: func(ch chan<- prometheus.Metric) {
			st := s.Stats()
			gauge(ch, descEntries, float64(st.Sessions), "session")
			gauge(ch, descEntries, float64(st.Users), "user")
			gauge(ch, descEntries, flag(!st.All.IsZero()), "all")
			gauge(ch, descDiskBytes, float64(st.DiskBytes))
			gauge(ch, descLastGC, unixSeconds(st.LastGC))
			ws := s.WriteStats()
			counter(ch, descWrites, ws.Writes)
			counter(ch, descWriteErrors, ws.WriteErrors)
			histogram(ch, descWriteTime, ws.Latency)
			d := s.Disk()
			gauge(ch, descDiskFree, float64(d.Free))
			gauge(ch, descDiskReserve, float64(d.Reserve))
			gauge(ch, descRefusing, flag(d.Refused != nil))
		},
	}
}

var (
	descHealthy     = desc("replication_healthy", "1 when revocation replication is caught up since start, in contact with the stream and not closed.")
	descStale       = desc("replication_stale", "1 when the instance has had no contact with the stream for longer than its staleness limit: revocations made elsewhere may not be in force here.")
	descCaughtUp    = desc("replication_caught_up", "1 once the first catch-up after start has completed; until then the instance fails closed.")
	descLag         = desc("replication_lag_events", "Stream events known but not yet applied.")
	descOutbox      = desc("replication_outbox_depth", "Local revocations not yet acknowledged by the stream.")
	descResets      = desc("replication_stream_resets_total", "Times the stream was found deleted, recreated or purged; the instance re-published its live entries.")
	descMissed      = desc("replication_missed_events", "1 if events aged out of the stream while this instance was away (harmless when the stream's max age covers the absolute lifetime).")
	descLastContact = desc("replication_last_contact_timestamp_seconds", "Last time (Unix) the instance was known to hold every event the stream held; 0 if never.")
	descState       = desc("replication_state", `1 for the replica's state, 0 for the others: "ok", "degraded" (serving, but revocations may be late), "catching-up" (fails closed), "stale".`, "state")
	descRestarting  = desc("replication_consumer_restarting", "1 while the stream consumer is being restarted.")
	descRejected    = desc("replication_rejected_events_total", "Stream messages dropped because they did not verify under the keyring (forged, or signed with a key this keyring lacks) or are not events.")
	descRepublished = desc("replication_republished_total", "Live entries this instance re-published after finding the stream lost.")
	descOutboxAge   = desc("replication_outbox_oldest_age_seconds", "How long the oldest local revocation not yet acknowledged by the stream has waited; 0 when none waits.")
	descNATS        = desc("replication_nats_connected", "1 while the instance's NATS connection is connected; 0 while it reconnects (an authentication error, a server down) or after Close.")
	descPropagation = desc("replication_propagation_delay_seconds", "Time from an event's own timestamp on the instance that made it to its application here, for events from other instances (clock skew included).")
)

func replicationPart(r *natsrepl.Replicator) part {
	return part{
		descs: []*prometheus.Desc{descHealthy, descStale, descCaughtUp, descLag, descOutbox, descResets, descMissed, descLastContact,
			descState, descRestarting, descRejected, descRepublished, descOutboxAge, descNATS, descPropagation},
		collect: func(ch chan<- prometheus.Metric) {
			h := r.Health()
			gauge(ch, descHealthy, flag(h.Healthy))
			gauge(ch, descStale, flag(h.Stale))
			gauge(ch, descCaughtUp, flag(h.CaughtUp))
			gauge(ch, descLag, float64(h.Lag))
			gauge(ch, descOutbox, float64(h.OutboxDepth))
			counter(ch, descResets, uint64(h.StreamResets))
			gauge(ch, descMissed, flag(h.MissedEvents))
			gauge(ch, descLastContact, unixSeconds(h.LastContact))
			for _, st := range replicaStates {
				gauge(ch, descState, flag(h.State == st), string(st))
			}
			gauge(ch, descRestarting, flag(h.ConsumerRestarting))
			counter(ch, descRejected, h.RejectedEvents)
			counter(ch, descRepublished, h.Republished)
			gauge(ch, descOutboxAge, h.OutboxOldestAge.Seconds())
			gauge(ch, descNATS, flag(h.NATSConnected()))
			histogram(ch, descPropagation, r.PropagationDelays())
		},
	}
}

// replicaStates are the states sealed_replication_state reports, each
// every time, so that a query for one never finds nothing.
var replicaStates = []natsrepl.HealthState{natsrepl.StateOK, natsrepl.StateDegraded, natsrepl.StateCatchingUp, natsrepl.StateStale}

// unixSeconds is t in Unix seconds, 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
