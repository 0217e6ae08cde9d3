//go:build !unix

package revocation

import "io/fs"

// allocated returns the file's size.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
