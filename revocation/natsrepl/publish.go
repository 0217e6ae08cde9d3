package natsrepl

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// outboxBatch is how many outbox records the publisher reads and publishes
// (pipelined) at a time.
const outboxBatch = 256

// outboxPoll is how often the publisher looks at the outbox without being
// woken, as a safety net.
const outboxPoll = 5 * time.Second

// publishLoop drains the store's outbox to the stream: it publishes each
// record with its event ID as the JetStream message ID and deletes it from
// the outbox only once the stream has acknowledged it. Failures back off
// (see backoff) and retry forever: the records wait safely in Badger.
func (r *Replicator) publishLoop() {
	defer r.wg.Done()
	ready := r.store.OutboxReady()
	var bo backoff
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-ready:
		case <-poll.C:
		}
		poll.Reset(outboxPoll)
		if !r.drainOutbox(&bo) {
			return
		}
	}
}

// drainOutbox publishes the outbox until it is empty, backing off after
// failures; it reports false once the Replicator is closing.
func (r *Replicator) drainOutbox(bo *backoff) bool {
	for r.ctx.Err() == nil {
		n, err := r.publishOutbox(r.ctx)
		r.setPublishErr(err)
		if err == nil {
			bo.reset()
			if n < outboxBatch {
				return true
			}
			continue
		}
		if r.ctx.Err() != nil {
			return false
		}
		d := bo.next()
		r.log.Warn("natsrepl: publishing the outbox failed; retrying", "err", err, "retry_in", d)
		if !wait(r.ctx, d, r.pubStatusCh) {
			return false
		}
	}
	return false
}

// setPublishErr records the outcome of the last publish for Health.
func (r *Replicator) setPublishErr(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.mu.Lock()
	r.state.publishErr = msg
	r.mu.Unlock()
}

// publishOutbox publishes one batch of outbox records and acknowledges the
// published ones in the store. It returns how many records it read.
func (r *Replicator) publishOutbox(ctx context.Context) (int, error) {
	evs, err := r.store.Outbox(ctx, outboxBatch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	n := len(evs)
	good := evs[:0:0]
	var bad [][16]byte
	for _, ev := range evs {
		if _, err := ev.MarshalBinary(); err != nil {
			// It can never be published; it is in force locally.
			r.log.Error("natsrepl: dropping an outbox event that can't be encoded", "event", hex.EncodeToString(ev.ID[:]), "err", err)
			bad = append(bad, ev.ID)
			continue
		}
		good = append(good, ev)
	}
	if len(bad) > 0 {
		if err := r.store.AckOutbox(ctx, bad...); err != nil {
			return n, fmt.Errorf("ack outbox: %w", err)
		}
	}
	ring, err := r.cfg.keys()
	if err != nil {
		return n, err
	}
	acked, perr := publishEvents(ctx, r.js, r.cfg, ring, good)
	if len(acked) > 0 {
		if err := r.store.AckOutbox(ctx, acked...); err != nil {
			return n, fmt.Errorf("ack outbox: %w", err)
		}
	}
	return n, perr
}

// publishEvents publishes evs pipelined, each signed under ring's
// primary, and waits for every acknowledgement; it returns the IDs of the
// events the stream has, and an error if any publish failed.
func publishEvents(ctx context.Context, js jetstream.JetStream, cfg Config, ring *keyring.Keyring, evs []revocation.Event) ([][16]byte, error) {
	type pending struct {
		id  [16]byte
		fut jetstream.PubAckFuture
	}
	futs := make([]pending, 0, len(evs))
	var firstErr error
	for _, ev := range evs {
		data, err := ev.MarshalBinary()
		if err != nil {
			// Not publishable now or ever; leave it in the outbox and say so.
			firstErr = cmpErr(firstErr, fmt.Errorf("event %x: %w", ev.ID, err))
			continue
		}
		msg := sign(ring, subject(cfg.SubjectPrefix, ev.Kind), data)
		f, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(hex.EncodeToString(ev.ID[:])), jetstream.WithExpectStream(cfg.Stream))
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("publish: %w", err))
			break
		}
		futs = append(futs, pending{ev.ID, f})
	}
	acked := make([][16]byte, 0, len(futs))
	timeout := time.NewTimer(requestTimeout + time.Second)
	defer timeout.Stop()
	for _, p := range futs {
		select {
		case <-p.fut.Ok():
			acked = append(acked, p.id)
		case err := <-p.fut.Err():
			firstErr = cmpErr(firstErr, fmt.Errorf("publish: %w", err))
		case <-timeout.C:
			return acked, cmpErr(firstErr, errors.New("publish: no acknowledgement in time"))
		case <-ctx.Done():
			return acked, cmpErr(firstErr, ctx.Err())
		}
	}
	return acked, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// Publish publishes one event, signed under the primary key of the ring
// cfg.Keys returns, to the stream described by cfg (Stream and
// SubjectPrefix, defaults applied) and waits for the stream's
// acknowledgement; replicas whose keyring does not hold that key drop it. The event ID is the JetStream message ID, so publishing
// the same event twice is harmless. It is what `sealctl revoke --nats`
// uses; a running Replicator publishes its store's events by itself.
// Publish does not create the stream: with no stream it fails, naming it.
func Publish(ctx context.Context, nc *nats.Conn, cfg Config, ev revocation.Event) error {
	if nc == nil {
		return fmt.Errorf("%w: nil connection", ErrInvalidConfig)
	}
	if cfg.Node == "" {
		cfg.Node = "publish" // not used for publishing; avoids a hostname lookup
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	ring, err := cfg.keys()
	if err != nil {
		return fmt.Errorf("natsrepl: publish: %w", err)
	}
	data, err := ev.MarshalBinary()
	if err != nil {
		return fmt.Errorf("natsrepl: publish: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(requestTimeout))
	if err != nil {
		return fmt.Errorf("natsrepl: publish: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	ack, err := js.PublishMsg(ctx, sign(ring, subject(cfg.SubjectPrefix, ev.Kind), data),
		jetstream.WithMsgID(hex.EncodeToString(ev.ID[:])), jetstream.WithExpectStream(cfg.Stream))
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("natsrepl: publish: no stream %s captures %s.> on this server (is a replicating instance running?): %w", cfg.Stream, cfg.SubjectPrefix, err)
	}
	if err != nil {
		return fmt.Errorf("natsrepl: publish to stream %s: %w", cfg.Stream, err)
	}
	if ack.Stream != cfg.Stream {
		return fmt.Errorf("natsrepl: publish: stored in stream %s, want %s", ack.Stream, cfg.Stream)
	}
	return nil
}
