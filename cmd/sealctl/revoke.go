package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the revocation store lands; replaced by its owner.
func runRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("revoke: not built yet")
}

func runRevocations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("revocations: not built yet")
}
