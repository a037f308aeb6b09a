package report_test

import (
	"context"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/report"
)

// Text messages are counted for 发送宣传短信, never as 线上推送 (pushes).
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
	src := report.CampaignPushes{Campaigns: camps}
	from, to := at(2026, 1, 1, 0), at(2027, 1, 1, 0)
	pushes, err := src.Pushes(ctx, from, to)
	if err != nil || len(pushes) != 1 || pushes[0].Campaign != "week" {
		t.Errorf("pushes %+v %v, want only the template run", pushes, err)
	}
	if n, err := src.SMSSent(ctx, from, to); err != nil || n != 2000 {
		t.Errorf("SMS sent %d %v, want 2000 (accepted by the gateway, in the period)", n, err)
	}
}
