package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the keyring lands; replaced by its owner.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("keys: not built yet")
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("inspect: not built yet")
}
