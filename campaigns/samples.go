package campaigns

import (
	"embed"
	"io/fs"
)

//go:embed samples/*.yaml
var samples embed.FS

// Samples returns the sample campaigns shipped with pufa (宪法宣传周 2026,
// 民法典宣传月 2027); the demo uses them when campaigns.dir does not exist.
func Samples() fs.FS {
	sub, _ := fs.Sub(samples, "samples") // the directory is embedded: cannot fail
	return sub
}
