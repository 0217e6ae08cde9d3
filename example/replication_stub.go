//go:build !natsrepl

package main

import (
	"errors"
	"flag"
)

func addNATSFlags(fs *flag.FlagSet, cfg *Config) {}

func (s *Server) startReplication() error {
	return errors.New("example: replication not built in")
}
