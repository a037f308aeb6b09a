package campaigns_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
)

// FuzzParse feeds hostile YAML to the campaign loader: it never panics, and
// whatever it accepts has an id and a channel, as staff files must.
func FuzzParse(f *testing.F) {
	samples, _ := filepath.Glob("samples/*.yaml")
	for _, p := range samples {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{massAllYAML, templateAllYAML, "", "id: x", "a: &a [*a, *a]", "id: [", "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := campaigns.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if c.ID == "" || c.Channel == "" {
			t.Fatalf("accepted a campaign without id or channel: %+v", c)
		}
	})
}
