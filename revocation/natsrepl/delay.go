package natsrepl

import "github.com/sealedsessions/sealed/revocation"

// observeDelays counts how long each event applied from the stream took to
// get here, measured from the event's own time (At: when it was revoked)
// by this instance's clock. Events whose origin is this node are left
// out: they were in force here before they were published; so are logins,
// whose At is when the session was created.
func (r *Replicator) observeDelays(events []revocation.Event) {
	now := r.cfg.Now()
	for i := range events {
		if events[i].Origin != r.cfg.Node && events[i].Kind != revocation.KindLogin {
			r.delays.Observe(now.Sub(events[i].At))
		}
	}
}

// PropagationDelays returns the histogram of propagation delays since
// Start: for each event applied from the stream that another instance
// made, the time from its At to its application here. It includes the
// clock skew between the instances, and the time an instance was away
// for the events it caught up on.
func (r *Replicator) PropagationDelays() revocation.LatencySnapshot { return r.delays.Snapshot() }
