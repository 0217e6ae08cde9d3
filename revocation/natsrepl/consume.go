package natsrepl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/revocation"
)

// Consumer settings: a self-managed ephemeral pull consumer with no acks,
// in memory, one replica, gone 30 s after its instance stops pulling. The
// server keeps no state per instance that outlives it (nothing to clean up
// after an instance is gone for good); the position lives in the
// instance's own Badger, stored with the events it covers.
const (
	consumerInactive = 30 * time.Second
	maxBatch         = 1024 // events applied in one store transaction at most
	pullMaxMessages  = 1024
)

// consumeLoop runs the consumer, restarting it from the last applied
// position whenever it fails: missed heartbeats (a dead server), a gap in
// the consumer sequence, a reconnect, a deleted or recreated stream, a
// store error. Restarts back off (see backoff); the backoff starts over
// once a consumer has been working.
func (r *Replicator) consumeLoop() {
	defer r.wg.Done()
	var bo backoff
	var gen uint64
	for {
		gen++
		worked, err := r.consumeOnce(gen)
		if r.ctx.Err() != nil {
			return
		}
		if worked {
			bo.reset()
		}
		d := bo.next()
		r.setReason(err.Error())
		level := slog.LevelWarn
		if errors.Is(err, ErrStreamMismatch) {
			level = slog.LevelError // needs an operator; retried in case they fix it
		}
		r.log.Log(r.ctx, level, "natsrepl: consumer stopped; restarting", "err", err, "retry_in", d)
		if !wait(r.ctx, d, r.statusCh) { // a reconnect: try again now
			return
		}
	}
}

// consumeOnce creates a consumer (generation gen) after the applied
// position and applies what it delivers until something goes wrong.
// worked reports whether it had been delivering, so the caller's backoff
// can start over.
func (r *Replicator) consumeOnce(gen uint64) (worked bool, err error) {
	// Taken before asking: whatever the stream held then is in info.
	asked := r.cfg.Now().UnixNano()
	ictx, cancel := context.WithTimeout(r.ctx, requestTimeout)
	info, err := r.ensureStream(ictx)
	cancel()
	if err != nil {
		return false, err
	}
	r.joinFromSnapshot(info)
	start, upToDate := r.reconcile(info)
	errCh := make(chan error, 1)
	genDone := make(chan struct{})
	defer close(genDone)
	cc, err := r.startConsumer(gen, start, errCh, genDone)
	if err != nil {
		return false, err
	}
	defer cc.Stop()
	r.setReason("")
	r.consumerLive.Store(true)
	defer r.consumerLive.Store(false)
	if err := r.contactAtStart(info, start, upToDate, asked); err != nil {
		return false, err
	}
	// Reconnects and probes from before now are what this consumer
	// started from.
	for drained := false; !drained; {
		select {
		case <-r.statusCh:
		case <-r.probeCh:
		default:
			drained = true
		}
	}
	return r.deliver(gen, errCh)
}

// startConsumer creates a consumer from stream sequence start and starts
// pulling: its messages go to r.msgs as deliveries of generation gen
// until genDone closes, its errors to errCh.
func (r *Replicator) startConsumer(gen, start uint64, errCh chan<- error, genDone <-chan struct{}) (jetstream.ConsumeContext, error) {
	ictx, cancel := context.WithTimeout(r.ctx, requestTimeout)
	cons, err := r.js.CreateConsumer(ictx, r.cfg.Stream, jetstream.ConsumerConfig{
		Description:       "sealed natsrepl " + r.cfg.Node,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: consumerInactive,
		MemoryStorage:     true,
		Replicas:          1,
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("create consumer: %w", err)
	}
	report := func(err error) {
		select {
		case errCh <- err:
		default:
		}
	}
	handler := func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			report(fmt.Errorf("message metadata: %w", err))
			return
		}
		d := delivery{gen: gen, streamSeq: md.Sequence.Stream, consSeq: md.Sequence.Consumer, pending: md.NumPending,
			subject: m.Subject(), header: m.Headers(), data: m.Data(), at: r.cfg.Now().UnixNano()}
		select {
		case r.msgs <- d:
		case <-genDone:
		case <-r.ctx.Done():
		}
	}
	cc, err := cons.Consume(handler,
		jetstream.PullHeartbeat(r.cfg.Heartbeat),
		jetstream.PullExpiry(max(30*time.Second, 3*r.cfg.Heartbeat)),
		jetstream.PullMaxMessages(pullMaxMessages),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) { report(err) }))
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	return cc, nil
}

// contactAtStart counts the consumer's start as contact with the stream if
// nothing is left to apply. A consumer restarted after an outage has the
// outage's events still to deliver, and until they are applied the
// replica is as stale as before.
func (r *Replicator) contactAtStart(info *jetstream.StreamInfo, start uint64, upToDate bool, asked int64) error {
	if !upToDate && info.State.Msgs == 0 {
		// Every event after the position has left the stream (aged out or
		// purged): the position moves to the stream's end. (Only an
		// empty stream, by its leader's count, proves that: a consumer's
		// own pending count may come from a replica still catching up.)
		if err := r.advanceTo(info.State.LastSeq); err != nil {
			return err
		}
		upToDate = true
	}
	if upToDate {
		r.touchAt(asked)
		r.markCaughtUp(max(start-1, info.State.LastSeq))
	}
	return nil
}

// deliver applies what consumer generation gen delivers, in batches, and
// answers probes, until an error, a reconnect or Close.
func (r *Replicator) deliver(gen uint64, errCh <-chan error) (worked bool, err error) {
	started := time.Now()
	var lastCons uint64
	for {
		select {
		case <-r.ctx.Done():
			return worked, r.ctx.Err()
		case err := <-errCh:
			return worked || time.Since(started) > 5*time.Second, fmt.Errorf("consumer: %w", err)
		case <-r.statusCh:
			return true, errors.New("reconnected to nats")
		case p := <-r.probeCh:
			if err := r.checkProbe(p); err != nil {
				return true, err
			}
		case d := <-r.msgs:
			if d.gen != gen {
				continue // from a consumer this one replaced
			}
			n, err := r.applyBatch(r.fillBatch(d), &lastCons)
			if n > 0 {
				worked = true
			}
			if err != nil {
				return worked, err
			}
		}
	}
}

// fillBatch returns first and what else of its generation is waiting, up
// to maxBatch deliveries.
func (r *Replicator) fillBatch(first delivery) []delivery {
	batch := []delivery{first}
	for len(batch) < maxBatch {
		select {
		case d := <-r.msgs:
			if d.gen == first.gen {
				batch = append(batch, d)
			}
		default:
			return batch
		}
	}
	return batch
}

// reconcile compares the stored position with the stream as it is now and
// returns the stream sequence to consume from, and whether the position
// is already at the stream's end. A stream created after the
// one the position belongs to (deleted and recreated: it restarts at 1), or
// one whose last sequence is below the position, is a reset: the replica
// starts over from the stream's start and says so. A position below the
// stream's first sequence means events aged out unseen.
func (r *Replicator) reconcile(info *jetstream.StreamInfo) (uint64, bool) {
	var missed string
	var resetCursor bool
	r.mu.Lock()
	st := &r.state
	had := !st.created.IsZero()
	reset := r.resetReason(info)
	if reset != "" {
		st.resets++
		st.applied = 0
		st.missed = false
		resetCursor = true
		r.caughtUp.Store(false)
	}
	if !had {
		resetCursor = true
	}
	st.created = info.Created
	if had && reset == "" && st.applied+1 < info.State.FirstSeq {
		st.missed = true
		missed = fmt.Sprintf("%d events (sequences %d..%d) aged out of the stream before this instance applied them", info.State.FirstSeq-st.applied-1, st.applied+1, info.State.FirstSeq-1)
	}
	st.streamLast = max(st.streamLast, info.State.LastSeq)
	if reset != "" {
		st.streamLast = info.State.LastSeq
	}
	applied, created := st.applied, st.created
	r.mu.Unlock()

	if reset != "" {
		r.log.Warn("natsrepl: stream reset detected; replaying the stream from its start and re-publishing this instance's live entries", "reason", reset)
		r.requestRepublish()
	}
	if missed != "" {
		r.log.Warn("natsrepl: missed events", "detail", missed, "max_age", r.cfg.MaxAge,
			"note", "harmless if the stream's max age is at least the store's absolute session lifetime")
	}
	if resetCursor {
		// Remember which stream the position belongs to, even before it
		// delivers anything.
		if err := r.store.Apply(r.ctx, nil, r.cursor(applied, created)); err != nil && r.ctx.Err() == nil {
			r.log.Warn("natsrepl: storing the stream position failed", "err", err)
		}
	}
	return applied + 1, applied >= info.State.LastSeq
}

// resetReason says why info shows the stream the position belongs to as
// lost: deleted and recreated, shorter than the position, or purged; ""
// if it does not. r.mu must be held.
func (r *Replicator) resetReason(info *jetstream.StreamInfo) string {
	st := &r.state
	switch {
	case !st.created.IsZero() && !info.Created.Equal(st.created):
		return fmt.Sprintf("stream was deleted and recreated (now created %s, position %d was in the stream created %s)",
			info.Created.UTC().Format(time.RFC3339Nano), st.applied, st.created.UTC().Format(time.RFC3339Nano))
	case st.applied > info.State.LastSeq:
		return fmt.Sprintf("stored position %d is beyond the stream's last sequence %d", st.applied, info.State.LastSeq)
	case !st.created.IsZero() && st.purgeSeen != info.State.LastSeq && r.cfg.purged(info):
		st.purgeSeen = info.State.LastSeq
		return fmt.Sprintf("stream was purged: it holds no message, and its last (sequence %d, %s) had not aged out",
			info.State.LastSeq, info.State.LastTime.UTC().Format(time.RFC3339))
	}
	return ""
}

// checkProbe looks at a periodic stream info: a deleted, recreated or
// truncated stream restarts the consumer (which then resets); otherwise it
// refreshes the stream's last sequence.
//
// A probe is contact only if the replica has applied everything the stream
// held when the probe asked: up to its last sequence, or, if the stream is
// empty, nothing (the position then moves to the stream's end).
func (r *Replicator) checkProbe(p probeResult) error {
	if errors.Is(p.err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s not found", r.cfg.Stream)
	}
	if p.err != nil {
		return nil // an outage: heartbeats and staleness deal with it
	}
	r.mu.Lock()
	st := &r.state
	applied := st.applied
	current := p.created.Equal(st.created)
	purgeSeen := st.purgeSeen
	if current && p.info.Created.Equal(p.created) && p.info.State.LastSeq >= p.applied {
		st.streamLast = max(st.streamLast, p.info.State.LastSeq)
	}
	r.mu.Unlock()
	// The probe is judged against the position when it asked: messages
	// applied since may lie beyond what the stream said it held then.
	switch {
	case !current:
		return nil // asked before the consumer last started: stale
	case !p.info.Created.Equal(p.created):
		return errors.New("stream was recreated")
	case p.info.State.LastSeq < p.applied:
		return fmt.Errorf("stream's last sequence %d is below the applied position %d", p.info.State.LastSeq, p.applied)
	case purgeSeen != p.info.State.LastSeq && r.cfg.purged(p.info):
		return errPurged
	case applied >= p.info.State.LastSeq:
		r.touchAt(p.at)
		r.markCaughtUp(applied)
	case p.lastMsg != 0 && applied >= p.lastMsg:
		// Everything after the last message was deleted.
		r.touchAt(p.at)
		r.markCaughtUp(applied)
	case p.info.State.Msgs == 0:
		if err := r.advanceTo(p.info.State.LastSeq); err != nil {
			return err
		}
		r.touchAt(p.at)
		r.markCaughtUp(p.info.State.LastSeq)
	}
	return nil
}

// advanceTo moves the applied position forward to seq with nothing to
// apply: the sequences in between are gone from the stream.
func (r *Replicator) advanceTo(seq uint64) error {
	r.mu.Lock()
	applied, created := r.state.applied, r.state.created
	r.mu.Unlock()
	if seq <= applied {
		return nil
	}
	if err := r.store.Apply(r.ctx, nil, r.cursor(seq, created)); err != nil {
		return fmt.Errorf("store the stream position: %w", err)
	}
	r.mu.Lock()
	r.state.applied = max(r.state.applied, seq)
	r.state.streamLast = max(r.state.streamLast, seq)
	close(r.progress)
	r.progress = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// applyBatch applies a batch of deliveries from one consumer in one store
// transaction, with the position. It skips what is already applied
// (redelivery) and what does not verify under the keyring (rejected: the
// position moves past it), and stops at a gap in the consumer sequence,
// which means the server dropped messages for this consumer: the caller
// restarts it from the applied position.
func (r *Replicator) applyBatch(batch []delivery, lastCons *uint64) (int, error) {
	ring, err := r.cfg.keys()
	if err != nil {
		return 0, err // nothing applied, the position stays: retried
	}
	r.mu.Lock()
	applied, created := r.state.applied, r.state.created
	r.mu.Unlock()
	events := make([]revocation.Event, 0, len(batch))
	last := applied
	var pending uint64
	var at int64
	var gapErr error
	n := 0
	for _, d := range batch {
		if d.consSeq != *lastCons+1 {
			gapErr = fmt.Errorf("consumer sequence gap: got %d after %d", d.consSeq, *lastCons)
			break
		}
		*lastCons = d.consSeq
		n++
		pending, at = d.pending, d.at
		if d.streamSeq <= last {
			continue // already applied
		}
		last = d.streamSeq
		if ev, ok := r.accept(ring, &d, created); ok {
			events = append(events, ev)
		}
	}
	if last > applied {
		if err := r.store.Apply(r.ctx, events, r.cursor(last, created)); err != nil {
			return 0, fmt.Errorf("apply %d events to the store: %w", len(events), err)
		}
		r.observeDelays(events)
		r.mu.Lock()
		r.state.applied = last
		r.state.streamLast = max(r.state.streamLast, last+pending)
		close(r.progress)
		r.progress = make(chan struct{})
		r.mu.Unlock()
	}
	if n > 0 && pending == 0 {
		// Nothing was left in the stream when the last one was sent.
		r.touchAt(at)
		r.markCaughtUp(last)
	}
	return n, gapErr
}

// markCaughtUp records that the replica has applied everything the stream
// held at some moment; the first time after Start (or a reset) it logs.
func (r *Replicator) markCaughtUp(applied uint64) {
	r.caughtUpOnce.Store(true)
	if r.caughtUp.CompareAndSwap(false, true) {
		r.mu.Lock()
		close(r.progress)
		r.progress = make(chan struct{})
		r.mu.Unlock()
		r.log.Info("natsrepl: caught up with the stream", "applied_seq", applied)
	}
}

// probe asks the stream for its info and, when the replica is behind its
// last sequence, for the sequence of its last message: a message deleted
// by hand at the tail leaves the last sequence above anything the replica
// can ever apply.
func (r *Replicator) probe() probeResult {
	p := probeResult{at: r.cfg.Now().UnixNano()}
	r.mu.Lock()
	p.applied, p.created = r.state.applied, r.state.created
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.ctx, requestTimeout)
	defer cancel()
	s, err := r.js.Stream(ctx, r.cfg.Stream)
	if err != nil {
		p.err = err
		return p
	}
	p.info = s.CachedInfo()
	if p.info.State.LastSeq > p.applied && p.info.State.Msgs > 0 {
		if m, err := s.GetLastMsgForSubject(ctx, r.cfg.SubjectPrefix+".>"); err == nil {
			p.lastMsg = m.Sequence
		}
	}
	return p
}

// probeLoop asks the stream for its info every Staleness/4 (100 ms..5 s)
// and hands it to the consume loop: an answer showing nothing left to
// apply is contact (an idle stream delivers nothing), and its creation
// time and last sequence reveal a recreated stream.
func (r *Replicator) probeLoop() {
	defer r.wg.Done()
	r.every(min(max(r.cfg.Staleness/4, 100*time.Millisecond), 5*time.Second), func() {
		p := r.probe()
		select {
		case r.probeCh <- p:
		default:
		}
	})
}
