package campaigns_test

import (
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

// A run is archived as it starts, so the annual report still counts it,
// under the title it ran with, once its definition is renamed or deleted.
func TestRunsAreArchivedAndOutliveTheirDefinition(t *testing.T) {
	e := newEnv(t, envOpts{followers: 20, files: []string{templateAllYAML}})
	e.defs[0].Theme = "civil-code-month"
	e.approve("tpl-all")
	fire, res := runNow(t, e, "tpl-all")
	if res.State != "finished" || res.Counts.Sent != 20 {
		t.Fatalf("run %+v", res)
	}
	year := func() []report.Push {
		t.Helper()
		ps, err := report.ArchivedPushes{Store: e.st}.Pushes(bg, fire.Add(-time.Hour), fire.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	want := report.Push{Campaign: "tpl-all", Title: "模板消息测试", Theme: "civil-code-month", Channel: "template", Fire: fire, Reach: 20}
	if ps := year(); len(ps) != 1 || !ps[0].Fire.Equal(fire) || ps[0].Title != want.Title || ps[0].Theme != want.Theme || ps[0].Reach != 20 || ps[0].Channel != want.Channel {
		t.Fatalf("archived pushes %+v, want %+v", ps, want)
	}

	e.defs[0].Title = "改了名字的活动"
	if n, err := e.m.ArchivePastRuns(bg); err != nil || n != 1 {
		t.Fatalf("ArchivePastRuns = %d, %v", n, err)
	}
	e.defs = nil // the definition is deleted
	if ps := year(); len(ps) != 1 || ps[0].Title != "模板消息测试" || ps[0].Reach != 20 {
		t.Errorf("after renaming and deleting the definition: %+v, want the run as it ran", ps)
	}
}

// Runs from before the archive existed are archived by ArchivePastRuns.
func TestArchivePastRunsBackfills(t *testing.T) {
	e := newEnv(t, envOpts{followers: 5, files: []string{customAllYAML}})
	e.approve("custom-all")
	fire, _ := runNow(t, e, "custom-all")
	runs, err := e.st.ArchivedRuns(bg, fire, fire.Add(time.Second))
	if err != nil || len(runs) != 1 {
		t.Fatalf("archived %+v %v", runs, err)
	}
	if runs[0].Started.IsZero() || runs[0].Channel != string(campaigns.ChannelCustom) {
		t.Errorf("archived run %+v", runs[0])
	}
	// Archiving again keeps the first record.
	if err := e.st.ArchiveRun(bg, store.ArchivedRun{Campaign: "custom-all", Title: "别的标题", Channel: "custom", Fire: fire}); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.st.ArchivedRuns(bg, fire, fire.Add(time.Second)); len(again) != 1 || again[0].Title != "客服消息测试" {
		t.Errorf("a second archive record replaced the first: %+v", again)
	}
}
