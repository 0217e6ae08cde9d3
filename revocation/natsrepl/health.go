package natsrepl

import (
	"fmt"
	"time"
)

// Health is a snapshot of a Replicator's state for a health endpoint; it
// encodes to JSON with snake_case keys.
type Health struct {
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
	// StreamResets counts the times the stream was found deleted or
	// recreated; the replica then starts over from the new stream's start.
	StreamResets int `json:"stream_resets"`
	// Reason says why the replica is not healthy, or notes a past problem.
	Reason string `json:"reason,omitempty"`

	// TEMP stub api10 (helper p1b): the agreed fields, no logic.
	State              HealthState   `json:"state"`
	RejectedEvents     uint64        `json:"rejected_events"`
	Republished        uint64        `json:"republished"`
	OutboxOldestAge    time.Duration `json:"outbox_oldest_age"`
	ConsumerRestarting bool          `json:"consumer_restarting"`
}

// TEMP stub api10 (helper p1b).
type HealthState string

// TEMP stub api10 (helper p1b).
const (
	StateOK         HealthState = "ok"
	StateDegraded   HealthState = "degraded"
	StateCatchingUp HealthState = "catching-up"
	StateStale      HealthState = "stale"
)

// Serving is a TEMP stub api10 (helper p1b).
func (h Health) Serving() bool { return h.State == StateOK || h.State == StateDegraded }

// Health returns a snapshot of the replica's state.
func (r *Replicator) Health() Health {
	r.mu.Lock()
	st := r.state
	r.mu.Unlock()
	h := Health{
		CaughtUp:     r.caughtUp.Load(),
		AppliedSeq:   st.applied,
		StreamSeq:    st.streamLast,
		MissedEvents: st.missed,
		StreamResets: st.resets,
		OutboxDepth:  r.store.Stats().OutboxDepth,
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
	// TEMP stub api10 (helper p1b): a State from the existing fields only.
	switch {
	case !h.CaughtUp:
		h.State = StateCatchingUp
	case !h.Healthy:
		h.State = StateStale
	default:
		h.State = StateOK
	}
	return h
}

// isStale reports whether contact since nanoseconds ago is too old; a
// contact more than staleness in the future means the clock stepped back
// since, and proves nothing until the next one.
func isStale(since int64, staleness time.Duration) bool {
	return since > int64(staleness) || since < -int64(staleness)
}
