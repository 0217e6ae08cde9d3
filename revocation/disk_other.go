//go:build !unix

package revocation

import "io/fs"

// allocated returns the file's size.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }

// freeSpace returns -1: the free space is unknown here, and the disk guard
// never refuses a write.
func freeSpace(string) (int64, error) { return -1, nil }
