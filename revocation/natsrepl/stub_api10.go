package natsrepl

import (
	"errors"

	"github.com/nats-io/nats.go"
)

// TEMP stub api10 (helper p1b): the agreed names, no logic. The lead drops
// this commit when merging natsrepl's real implementation.

var ErrNotCaughtUp = errors.New("natsrepl: not caught up since start")

type NATSAuth struct{ Creds, NKey, TLSCA, TLSCert, TLSKey string }

func (a NATSAuth) Options() ([]nats.Option, error) { return nil, nil }
