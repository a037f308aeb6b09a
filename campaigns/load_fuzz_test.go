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

// A time-zone prefix without a schedule after a space made robfig/cron
// panic (found by FuzzParse); it is a field error now.
func TestCronTimeZoneWithoutScheduleIsAnError(t *testing.T) {
	for _, spec := range []string{"CRON_TZ=0", "CRON_TZ=Asia/Shanghai", "TZ=Asia/Shanghai\t0 10 * * 1", " CRON_TZ=UTC "} {
		if _, err := campaigns.ParseCron(spec); err == nil {
			t.Errorf("ParseCron(%q) accepted", spec)
		}
	}
	if _, err := campaigns.ParseCron("CRON_TZ=Asia/Shanghai 0 10 * * 1"); err != nil {
		t.Errorf("a zone and a schedule: %v", err)
	}
}
