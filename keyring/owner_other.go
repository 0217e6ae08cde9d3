//go:build !unix

package keyring

import (
	"io/fs"
	"os"
)

// keepOwner does nothing where files have no Unix owner.
func keepOwner(*os.File, string, fs.FileInfo) error { return nil }

// checkModes: Windows (and the like) have no Unix permission bits; the
// mode os.Stat reports there (0666 for any writable file) says nothing
// about who else may write.
const checkModes = false
