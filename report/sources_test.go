package report_test

import (
	"context"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/report"
)

// Text messages are counted for 普法短信, never as 线上推送 (pushes).
func TestSMSRunsCountApartFromPushes(t *testing.T) {
	ctx := context.Background()
	camps := fakeCampaigns{
		{ID: "week", Title: "宪法宣传周", Runs: []campaigns.RunStats{
			{Fire: at(2026, 12, 4, 9), Channel: campaigns.ChannelTemplate, Sent: 30},
		}},
		{ID: "sms", Title: "宪法宣传周短信", Runs: []campaigns.RunStats{
			{Fire: at(2026, 12, 4, 10), Channel: campaigns.ChannelSMS, Sent: 1200, Failed: 3},
			{Fire: at(2026, 12, 11, 10), Channel: campaigns.ChannelSMS, Sent: 800},
			{Fire: at(2027, 1, 8, 10), Channel: campaigns.ChannelSMS, Sent: 500}, // outside the period
		}},
	}
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(ctx, report.Sources{Campaigns: report.CampaignPushes{Campaigns: camps}}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Pushes != 1 || r.Totals.Reach != 30 {
		t.Errorf("pushes %d reaching %d, want only the template run (1, 30)", r.Totals.Pushes, r.Totals.Reach)
	}
	if r.Totals.SMSSent != 2000 || r.Months[11].SMSSent != 2000 {
		t.Errorf("SMS sent %d (December %d), want 2000: accepted by the gateway, in the period", r.Totals.SMSSent, r.Months[11].SMSSent)
	}
}
