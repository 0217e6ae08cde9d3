package natsrepl

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// HealthState sums up a replica's health for a health endpoint.
type HealthState string

// The states Health reports. Serving reports which allow serving sessions.
const (
	// StateOK: caught up, in contact, publishing without delay.
	StateOK HealthState = "ok"
	// StateDegraded: serving, but the outbox's oldest event has waited
	// longer than Config.DegradedAfter, the consumer is restarting or the
	// NATS connection is not connected (Health.NATSError says why):
	// revocations made here or elsewhere may be late.
	StateDegraded HealthState = "degraded"
	// StateCatchingUp: not caught up with the stream once since Start;
	// Revoked fails closed (ErrNotCaughtUp).
	StateCatchingUp HealthState = "catching-up"
	// StateStale: no contact with the stream for longer than
	// Config.Staleness, or closed.
	StateStale HealthState = "stale"
)

// Health is a snapshot of a Replicator's state for a health endpoint; it
// encodes to JSON with snake_case keys.
type Health struct {
	// State sums the rest up; see Serving.
	State HealthState `json:"state"`
	// Healthy: caught up since Start, in contact with the stream within
	// Config.Staleness, not closed.
	Healthy bool `json:"healthy"`
	// Stale: no contact with the stream for longer than Config.Staleness.
	Stale bool `json:"stale"`
	// CaughtUp: the first catch-up after Start has completed.
	CaughtUp bool `json:"caught_up"`
	// Lag is how many stream events are known but not yet applied.
	Lag uint64 `json:"lag"`
	// LastContact is the last time the replica was known to hold every
	// event the stream held (the stream said so in a message or a probe)
	// while this instance's consumer was running; zero if never. A
	// reconnect is not contact until the events missed meanwhile are
	// applied.
	LastContact time.Time `json:"last_contact"`
	// OutboxDepth is how many local events still wait to be published.
	OutboxDepth int `json:"outbox_depth"`
	// AppliedSeq is the last stream sequence applied to the store.
	AppliedSeq uint64 `json:"applied_seq"`
	// StreamSeq is the stream's last sequence as last seen.
	StreamSeq uint64 `json:"stream_seq"`
	// MissedEvents: events aged out of the stream (MaxAge) while this
	// instance was away, so it never applied them. Harmless if MaxAge is at
	// least the store's absolute lifetime; see the logs.
	MissedEvents bool `json:"missed_events"`
	// StreamResets counts the times the stream was found deleted and
	// recreated, purged or truncated; the replica then starts over from the
	// new stream's start and re-publishes its live entries.
	StreamResets int `json:"stream_resets"`
	// RejectedEvents counts the stream messages dropped since Start: no
	// MAC, a MAC under a key not in the keyring (unknown or retired), a
	// MAC that does not verify, or not a revocation event. Each stream
	// sequence counts once, even if delivered again (a consumer restart).
	RejectedEvents uint64 `json:"rejected_events"`
	// Republished counts the events queued for re-publishing since Start
	// after the stream was found lost (deleted, recreated, purged or
	// truncated).
	Republished uint64 `json:"republished"`
	// SnapshotSeq is the stream sequence of the snapshot this replica
	// joined from at its start (it replayed only the events after it); 0
	// if it replayed the stream.
	SnapshotSeq uint64 `json:"snapshot_seq"`
	// RejectedSnapshots counts the snapshots ignored since Start: not
	// verified under the keyring, made for another (deleted) stream, or
	// covering more than the stream holds.
	RejectedSnapshots uint64 `json:"rejected_snapshots"`
	// OutboxOldestAge is how long the oldest event in the outbox has
	// waited to be published; 0 if none.
	OutboxOldestAge time.Duration `json:"outbox_oldest_age"`
	// ConsumerRestarting: the consumer stopped and is being restarted
	// (Reason says why).
	ConsumerRestarting bool `json:"consumer_restarting"`
	// NATS is the connection's state as nats.go reports it, lowercased:
	// "connected", "reconnecting", "closed" (a Config.Conn the caller's
	// options let close; one Start dialled never closes before Close), ...
	// Anything but "connected" makes the state at best degraded.
	NATS string `json:"nats"`
	// NATSError is the connection's last error while it is not connected,
	// such as "nats: authorization violation" while credentials are
	// refused (a connection Start dialled keeps retrying, with backoff,
	// until they work again); "" while connected.
	NATSError string `json:"nats_error,omitempty"`
	// Reason says why the replica is not healthy, or notes a past problem.
	Reason string `json:"reason,omitempty"`
}

// Serving reports whether the replica's answers may be served: State is
// ok or degraded (a health endpoint answers 200 then, 503 otherwise).
func (h Health) Serving() bool { return h.State == StateOK || h.State == StateDegraded }

// Health returns a snapshot of the replica's state.
func (r *Replicator) Health() Health {
	r.mu.Lock()
	st := r.state
	r.mu.Unlock()
	h := Health{
		CaughtUp:           r.caughtUp.Load(),
		AppliedSeq:         st.applied,
		StreamSeq:          st.streamLast,
		MissedEvents:       st.missed,
		StreamResets:       st.resets,
		RejectedEvents:     r.rejected.Load(),
		Republished:        r.republished.Load(),
		SnapshotSeq:        st.joinedFrom,
		RejectedSnapshots:  r.snapRejected.Load(),
		ConsumerRestarting: st.reason != "",
	}
	stats := r.store.Stats()
	h.OutboxDepth = stats.OutboxDepth
	if !stats.OutboxOldest.IsZero() {
		h.OutboxOldestAge = max(time.Since(stats.OutboxOldest), 0) // outbox times are real-clock
	}
	if st.streamLast > st.applied {
		h.Lag = st.streamLast - st.applied
	}
	if n := r.lastContact.Load(); n != 0 {
		h.LastContact = time.Unix(0, n)
	}
	now := r.cfg.Now()
	h.Stale = h.LastContact.IsZero() || isStale(now.Sub(h.LastContact).Nanoseconds(), r.cfg.Staleness)
	h.Healthy = h.CaughtUp && !h.Stale && !r.closed.Load()
	r.connHealth(&h)
	h.State = r.healthState(h)
	switch {
	case r.closed.Load():
		h.Reason = "closed"
	case h.LastContact.IsZero():
		h.Reason = "no contact with the stream yet"
		if st.reason != "" {
			h.Reason += ": " + st.reason
		}
	case h.Stale && now.Before(h.LastContact):
		h.Reason = fmt.Sprintf("stale: the clock stepped back %v past the last contact with the stream", h.LastContact.Sub(now).Round(time.Millisecond))
	case h.Stale:
		h.Reason = fmt.Sprintf("stale: no contact with the stream for %v (staleness %v)", now.Sub(h.LastContact).Round(time.Millisecond), r.cfg.Staleness)
		if st.reason != "" {
			h.Reason += ": " + st.reason
		}
	case !h.CaughtUp:
		h.Reason = fmt.Sprintf("catching up: applied %d of %d", st.applied, st.streamLast)
	case st.reason != "":
		h.Reason = "consumer restarting: " + st.reason
	case st.publishErr != "":
		h.Reason = "publishing: " + st.publishErr
	case st.missed:
		h.Reason = "missed events that aged out of the stream while this instance was away"
	}
	if h.natsDown() && !r.closed.Load() {
		note := "nats connection " + h.NATS
		if h.NATSError != "" {
			note += ": " + h.NATSError
		}
		if h.Reason == "" {
			h.Reason = note
		} else {
			h.Reason += " (" + note + ")"
		}
	}
	return h
}

// natsConnected is Health.NATS for a connected connection.
var natsConnected = strings.ToLower(nats.CONNECTED.String())

// NATSConnected reports whether the replica's NATS connection is
// connected.
func (h Health) NATSConnected() bool { return h.NATS == natsConnected }

// natsDown reports whether the connection is known and not connected.
func (h Health) natsDown() bool { return h.NATS != "" && h.NATS != natsConnected }

// connHealth fills in the connection's state and, while it is not
// connected, its last error (an authentication error, for one).
func (r *Replicator) connHealth(h *Health) {
	if r.nc == nil {
		return // never started (a test of one step)
	}
	status := r.nc.Status()
	h.NATS = strings.ToLower(status.String())
	if status == nats.CONNECTED {
		return
	}
	// nats.go's own last error is cleared between the tries of a
	// reconnect; the handlers Start installs keep it.
	if e, _ := r.connErr.Load().(string); e != "" {
		h.NATSError = e
	} else if err := r.nc.LastError(); err != nil {
		h.NATSError = err.Error()
	}
}

// healthState sums h up, as Revoked behaves: catching-up while it fails
// closed for want of a catch-up.
func (r *Replicator) healthState(h Health) HealthState {
	switch {
	case r.closed.Load():
		return StateStale
	case !r.caughtUpOnce.Load() || r.cfg.FailClosedWhenStale && !h.CaughtUp:
		return StateCatchingUp
	case h.Stale:
		return StateStale
	case h.ConsumerRestarting || h.natsDown() || h.OutboxOldestAge > r.cfg.DegradedAfter:
		return StateDegraded
	}
	return StateOK
}

// isStale reports whether contact since nanoseconds ago is too old; a
// contact more than staleness in the future means the clock stepped back
// since, and proves nothing until the next one.
func isStale(since int64, staleness time.Duration) bool {
	return since > int64(staleness) || since < -int64(staleness)
}
