package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/chinatime"
)

func TestWrapErrParsesSDKErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		msg  string
	}{
		// Formats copied from silenceper/wechat v2.1.10.
		{"custom send", errors.New("customer msg send error : errcode=43004 , errmsg=require subscribe rid: 64a2b3c4-1a2b3c4d-5e6f7a8b"),
			43004, "require subscribe rid: 64a2b3c4-1a2b3c4d-5e6f7a8b"},
		{"template send", errors.New("template msg send error : errcode=40037 , errmsg=invalid template_id"), 40037, "invalid template_id"},
		{"negative code", errors.New("template msg send error : errcode=-1 , errmsg=system error"), -1, "system error"},
		{"GetUserInfo", errors.New("GetUserInfo Error , errcode=40003 , errmsg=invalid openid"), 40003, "invalid openid"},
		{"stable token", errors.New("get stable access_token error : errcode=40125 , errormsg=invalid appsecret"), 40125, "invalid appsecret"},
		{"msg with commas", errors.New("customer msg send error : errcode=45047 , errmsg=out of response count limit, hint: x"),
			45047, "out of response count limit, hint: x"},
		{"CommonError", util.DecodeWithCommonError([]byte(`{"errcode":40016,"errmsg":"invalid button size"}`), "SetMenu"), 40016, "invalid button size"},
		{"wrapped CommonError", fmt.Errorf("ctx: %w", util.NewCommonError("SendText", 45028, "has no masssend quota")), 45028, "has no masssend quota"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapErr("some api", tt.err)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("wrapErr = %#v, want *APIError", err)
			}
			if ae.API != "some api" || ae.Code != tt.code || ae.Msg != tt.msg {
				t.Errorf("APIError = %+v, want code %d msg %q", ae, tt.code, tt.msg)
			}
			if want := fmt.Sprintf("wechat: some api: errcode=%d %s", tt.code, tt.msg); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		})
	}
}

func TestWrapErrRedactsToken(t *testing.T) {
	status := errors.New("http get error : uri=https://api.weixin.qq.com/cgi-bin/user/get?access_token=SECRET-TOKEN , statusCode=503")
	err := wrapErr("list followers", status)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 503 || !IsTransient(err) {
		t.Errorf("wrapErr = %#v, want transient HTTPError 503", err)
	}

	netErr := &url.Error{Op: "Post", URL: "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET-TOKEN", Err: io.ErrUnexpectedEOF}
	err = wrapErr("custom send", netErr)
	if !IsTransient(err) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("wrapErr = %v, want transient wrapping the cause", err)
	}
	timeout := &url.Error{Op: "Post", URL: "http://x/?access_token=SECRET-TOKEN", Err: context.DeadlineExceeded}
	if err := wrapErr("mass send", timeout); !errors.Is(err, context.DeadlineExceeded) || !IsTransient(err) {
		t.Errorf("timeout: %v", err)
	}
	for _, err := range []error{wrapErr("a", status), wrapErr("b", netErr), wrapErr("c", timeout)} {
		if strings.Contains(err.Error(), "SECRET-TOKEN") {
			t.Errorf("error leaks the token: %v", err)
		}
	}

	plain := errors.New("json: cannot unmarshal")
	if err := wrapErr("x", plain); !errors.Is(err, plain) || err.Error() != "wechat: x: json: cannot unmarshal" {
		t.Errorf("wrapErr = %v", err)
	}
	if wrapErr("x", nil) != nil {
		t.Error("wrapErr(nil) != nil")
	}
}

func TestClassification(t *testing.T) {
	api := func(code int) error { return fmt.Errorf("send batch 3: %w", &APIError{API: "mass send", Code: code}) }
	tokenEndpoint := func(code int) error { return &APIError{API: apiToken, Code: code} }
	tests := []struct {
		name                   string
		err                    error
		token, perm, transient bool
	}{
		{"40001", api(40001), true, false, true},
		{"42001", api(42001), true, false, true},
		{"40014", api(40014), true, false, true},
		{"-1 busy", api(-1), false, false, true},
		{"45009 daily quota", api(45009), false, false, true},
		{"45011 minute quota", api(45011), false, false, true},
		{"45066 too fast", api(45066), false, false, true},
		{"43004 unsubscribed", api(43004), false, true, false},
		{"45015 window", api(45015), false, true, false},
		{"45047 cs count", api(45047), false, true, false},
		{"40003 openid", api(40003), false, true, false},
		{"48003 agreement", api(48003), false, true, false},
		{"45028 no quota", api(45028), false, true, false},
		{"45067 id too long", api(45067), false, true, false},
		{"unknown code", api(99999), false, false, false},
		{"token endpoint 40001 = bad secret", tokenEndpoint(40001), false, true, false},
		{"token endpoint 40164 = ip whitelist", tokenEndpoint(40164), false, true, false},
		{"token endpoint -1", tokenEndpoint(-1), false, false, true},
		{"invalid request", fmt.Errorf("x: %w", ErrInvalidRequest), false, true, false},
		{"http 500", &HTTPError{StatusCode: 500}, false, false, true},
		{"http 429", &HTTPError{StatusCode: 429}, false, false, true},
		{"http 404", &HTTPError{StatusCode: 404}, false, false, false},
		{"network", fmt.Errorf("wechat: x: %w", &url.Error{Op: "Get", URL: "u", Err: errors.New("connection refused")}), false, false, true},
		{"deadline", context.DeadlineExceeded, false, false, true},
		{"canceled", fmt.Errorf("wechat: x: %w", context.Canceled), false, false, false},
		{"nil", nil, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTokenError(tt.err); got != tt.token {
				t.Errorf("IsTokenError = %v", got)
			}
			if got := IsPermanent(tt.err); got != tt.perm {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := IsTransient(tt.err); got != tt.transient {
				t.Errorf("IsTransient = %v", got)
			}
		})
	}
	if code, ok := ErrCode(api(45028)); !ok || code != 45028 {
		t.Errorf("ErrCode = %d, %v", code, ok)
	}
	if _, ok := ErrCode(errors.New("x")); ok {
		t.Error("ErrCode found a code in a plain error")
	}
}

func TestRetryAfter(t *testing.T) {
	noon := time.Date(2025, 3, 5, 12, 0, 0, 0, chinatime.Zone)
	tests := []struct {
		err  error
		now  time.Time
		want time.Duration
	}{
		{&APIError{Code: 45066}, noon, time.Minute},
		{&APIError{Code: 45011}, noon, time.Minute},
		{&APIError{Code: 45009}, noon, 12 * time.Hour},
		{&APIError{Code: 45009}, noon.UTC(), 12 * time.Hour}, // the quota day is Beijing's
		{&APIError{Code: 45009}, time.Date(2025, 3, 5, 23, 59, 50, 0, chinatime.Zone), time.Minute},
		{&APIError{Code: -1}, noon, 0},
		{errors.New("x"), noon, 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.err, tt.now); got != tt.want {
			t.Errorf("RetryAfter(%v, %v) = %v, want %v", tt.err, tt.now, got, tt.want)
		}
	}
}
