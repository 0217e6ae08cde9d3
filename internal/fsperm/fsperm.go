// Package fsperm holds the file-permission rules that keyring and
// revocation share: who, besides the owner, can replace a file or a
// directory. It imports only the standard library.
package fsperm

import "path/filepath"

// Parents lists the directories whose write permission decides who can
// replace path: every directory above path as written (where a symbolic
// link to it lives) and above what it resolves to, up to the root, each
// once.
func Parents(path string) ([]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	var dirs []string
	seen := map[string]bool{}
	for _, p := range []string{abs, resolved} {
		for d := filepath.Dir(p); !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs, nil
}
