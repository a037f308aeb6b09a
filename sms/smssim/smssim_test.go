package smssim_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/sms"
	"github.com/pufa-dev/pufa/sms/smssim"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The gateway answers each request with a code a client can classify: what
// is refused for good, what fails every number alike, what may be retried.
func TestGatewayCodesAndClassification(t *testing.T) {
	clk := &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	gw := smssim.New(smssim.Options{
		AccessKeyID: "id", AccessKeySecret: "secret", SignNames: []string{"街道"},
		Templates: map[string]smssim.Template{
			"T1": {Text: "${x}", Params: []string{"x"}, Approved: true},
			"T2": {Text: "pending"},
		},
		Limits: smssim.DefaultLimits, Now: clk.Now,
	})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	client := func(secret, sign string) *sms.Client {
		c, err := sms.New(sms.Options{Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: secret, SignName: sign})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ok := client("secret", "街道")
	p := map[string]string{"x": "宪法"}
	tests := []struct {
		name      string
		c         *sms.Client
		msg       sms.Message
		advance   time.Duration // before sending
		code      string        // "" = sent
		permanent bool
		account   bool
	}{
		{"sent", ok, sms.Message{Phone: "13900000001", TemplateCode: "T1", Params: p}, 0, "", false, false},
		{"same number within the minute", ok, sms.Message{Phone: "13900000001", TemplateCode: "T1", Params: p}, 30 * time.Second, sms.CodeNumberLimit, true, false},
		{"next minute", ok, sms.Message{Phone: "13900000001", TemplateCode: "T1", Params: p}, time.Minute, "", false, false},
		{"template not approved", ok, sms.Message{Phone: "13900000002", TemplateCode: "T2"}, 0, sms.CodeTemplateIllegal, true, true},
		{"unknown template", ok, sms.Message{Phone: "13900000002", TemplateCode: "T9"}, 0, sms.CodeTemplateIllegal, true, true},
		{"missing parameter", ok, sms.Message{Phone: "13900000002", TemplateCode: "T1"}, 0, sms.CodeMissingParams, true, true},
		{"signature not approved", client("secret", "别的"), sms.Message{Phone: "13900000002", TemplateCode: "T1", Params: p}, 0, sms.CodeSignatureIllegal, true, true},
		{"wrong secret", client("guess", "街道"), sms.Message{Phone: "13900000002", TemplateCode: "T1", Params: p}, 0, sms.CodeBadSignature, true, true},
	}
	for _, tt := range tests {
		clk.add(tt.advance)
		_, err := tt.c.Send(context.Background(), tt.msg)
		code, _ := sms.ErrorCode(err)
		if code != tt.code || (tt.code == "" && err != nil) {
			t.Errorf("%s: err %v, want code %q", tt.name, err, tt.code)
			continue
		}
		if err != nil && (sms.IsPermanent(err) != tt.permanent || sms.IsAccountLevel(err) != tt.account) {
			t.Errorf("%s: permanent %v account %v, want %v %v", tt.name, sms.IsPermanent(err), sms.IsAccountLevel(err), tt.permanent, tt.account)
		}
	}
	// Five an hour: the sixth within the hour is refused even a minute apart.
	for i := range 5 {
		clk.add(time.Minute)
		_, err := ok.Send(context.Background(), sms.Message{Phone: "13900000003", TemplateCode: "T1", Params: p})
		if err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	clk.add(time.Minute)
	if _, err := ok.Send(context.Background(), sms.Message{Phone: "13900000003", TemplateCode: "T1", Params: p}); func() bool { c, _ := sms.ErrorCode(err); return c != sms.CodeNumberLimit }() {
		t.Errorf("sixth in an hour: %v, want %s", err, sms.CodeNumberLimit)
	}
	// A malformed number never leaves pufa.
	before := gw.Stats().Requests
	if _, err := ok.Send(context.Background(), sms.Message{Phone: "+86 139 0000 0004", TemplateCode: "T1", Params: p}); !errors.Is(err, sms.ErrInvalidRequest) || !sms.IsPermanent(err) {
		t.Errorf("malformed number: %v", err)
	}
	if gw.Stats().Requests != before {
		t.Error("a malformed number reached the gateway")
	}
	// Throttling is transient.
	gw.SetFault(smssim.Fault{Code: sms.CodeThrottling, Count: 1})
	if _, err := ok.Send(context.Background(), sms.Message{Phone: "13900000005", TemplateCode: "T1", Params: p}); sms.IsPermanent(err) || err == nil {
		t.Errorf("throttled: %v, want a transient refusal", err)
	}
}
