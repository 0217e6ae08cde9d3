package keyring

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// ErrOwner matches the error of [WriteFile] (and so of [Update], [Create]
// and sealctl keys) when the new keyring file can't be given the owner and
// group of the file it replaces: a file the server can no longer read would
// leave it on the old keys. The old file is left as it was. The error is an
// [*OwnerError].
var ErrOwner = errors.New("keyring: cannot keep the keyring file's owner")

// OwnerError says which owner a rewritten keyring file could not keep,
// and why. It matches [ErrOwner] and its Err (usually
// [io/fs.ErrPermission]: only root may give a file to another user, and
// only a member of a group to that group).
type OwnerError struct {
	Path string // the keyring file (the target of a symbolic link)
	UID  int    // the owner of the file, which the new file could not get
	GID  int    // the group of the file
	Err  error  // why (the chown error)
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("keyring: write %s: cannot give the new file the owner %s of the file it replaces (the file is unchanged): %v",
		e.Path, ownerName(e.UID, e.GID), e.Err)
}

// Unwrap returns ErrOwner and Err.
func (e *OwnerError) Unwrap() []error { return []error{ErrOwner, e.Err} }

// ownerName is "uid:gid", followed by the names where the system knows
// them: "65534:65534 (nobody:nogroup)".
func ownerName(uid, gid int) string {
	s := strconv.Itoa(uid) + ":" + strconv.Itoa(gid)
	u, err1 := user.LookupId(strconv.Itoa(uid))
	g, err2 := user.LookupGroupId(strconv.Itoa(gid))
	if err1 == nil && err2 == nil {
		s += " (" + u.Username + ":" + g.Name + ")"
	}
	return s
}
