package campaigns_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// staff is a preview register: openid → display name.
type staff map[string]string

func (s staff) PreviewRecipient(_ context.Context, openid string) (string, bool, error) {
	name, ok := s[openid]
	return name, ok, nil
}

// A preview goes only to staff the office registered; any other openid,
// a resident's above all, is refused before WeChat is asked, and without a
// register nobody gets previews.
func TestPreviewOnlyToRegisteredStaff(t *testing.T) {
	tests := []struct {
		name     string
		register campaigns.PreviewRecipients
		to       string
		sent     bool
	}{
		{"registered staff", staff{"o_sim_000003": "张三"}, "o_sim_000003", true},
		{"a resident's openid", staff{"o_sim_000003": "张三"}, "o_sim_000001", false},
		{"no register configured", nil, "o_sim_000003", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{followers: 5, files: []string{massAllYAML}, mgrOpts: func(o *campaigns.Options) { o.PreviewTo = tt.register }})
			res, err := e.m.Preview(bg, "mass-all", tt.to, "编辑甲")
			if got := e.kind(wxsim.KindPreview).Messages; (got == 1) != tt.sent {
				t.Fatalf("previews sent: %d, want sent: %v (err %v)", got, tt.sent, err)
			}
			if !tt.sent {
				if !errors.Is(err, campaigns.ErrNotPreviewRecipient) {
					t.Errorf("refusal = %v, want ErrNotPreviewRecipient", err)
				}
				if st, _ := e.m.Stats(bg, "mass-all"); st.State != campaigns.Draft {
					t.Errorf("state %s after a refused preview", st.State)
				}
				return
			}
			if err != nil || res.Name != "张三" || res.OpenID != tt.to || len(res.ContentHash) != 12 {
				t.Fatalf("preview = %+v, %v", res, err)
			}
		})
	}
}

// Previews, approvals and sends are in the audit log with their recipients
// and a short sha256 of the content, whoever asked: console, CLI or the
// scheduler.
func TestPreviewApproveAndSendAreAudited(t *testing.T) {
	e := newEnv(t, envOpts{followers: 3, files: []string{massAllYAML}, mgrOpts: func(o *campaigns.Options) {
		o.PreviewTo = staff{"o_sim_000003": "张三"}
	}})
	res, err := e.m.Preview(bg, "mass-all", "o_sim_000003", "编辑甲")
	if err != nil {
		t.Fatal(err)
	}
	e.approve("mass-all")
	runNow(t, e, "mass-all")
	hash := "sha256:" + res.ContentHash
	if c := e.defs[0].ContentHash(); c != res.ContentHash {
		t.Fatalf("content hash %s, preview said %s", c, res.ContentHash)
	}
	log, err := e.st.AuditLog(bg, 20)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.AuditEntry{}
	for _, a := range log {
		if _, seen := got[a.Action]; !seen && a.Target == "mass-all" {
			got[a.Action] = a
		}
	}
	for action, want := range map[string][]string{
		"campaign.preview": {"编辑甲", "张三", "o_sim_000003", hash},
		"campaign.approve": {"测试员", "全部关注者", hash},
		"campaign.send":    {"全部关注者", hash},
	} {
		a, ok := got[action]
		if !ok {
			t.Errorf("no %s in the audit log %+v", action, log)
			continue
		}
		text := a.User + " " + a.Detail
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s audit %q lacks %q", action, text, w)
			}
		}
	}
}
