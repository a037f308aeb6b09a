package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/chinatime"
)

// ErrInvalidRequest marks requests rejected locally, before any HTTP call.
var ErrInvalidRequest = errors.New("invalid request")

// apiToken names the token endpoint in errors: its errcodes mean bad
// credentials or IP whitelist, not a stale token.
const apiToken = "access_token"

// APIError is a non-zero errcode returned by the WeChat API.
type APIError struct {
	API  string // pufa's name of the call, e.g. "custom send"
	Code int
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode=%d %s", e.API, e.Code, e.Msg)
}

// HTTPError is a non-200 HTTP status from the API (or a proxy in front of it).
type HTTPError struct {
	API        string
	StatusCode int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("wechat: %s: http status %d", e.API, e.StatusCode)
}

var (
	// The SDK formats errcodes into plain strings in several places:
	// "customer msg send error : errcode=43004 , errmsg=...",
	// "template msg send error : errcode=...", "GetUserInfo Error , errcode=... , errmsg=...",
	// "get stable access_token error : errcode=... , errormsg=...".
	sdkErrRe = regexp.MustCompile(`errcode=(-?\d+)\s*,\s*(?:errmsg|errormsg)=(.*)$`)
	// util.HTTPGetContext/PostJSONContext: "http get error : uri=<url with token> , statusCode=502".
	sdkStatusRe = regexp.MustCompile(`statusCode=(\d+)$`)
)

// wrapErr turns whatever the SDK or net/http returned into *APIError,
// *HTTPError or a wrapped error, dropping URLs because they carry the
// access_token.
func wrapErr(api string, err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	var he *HTTPError
	if errors.As(err, &ae) || errors.As(err, &he) || errors.Is(err, ErrInvalidRequest) {
		return err
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &APIError{API: api, Code: int(ce.ErrCode), Msg: ce.ErrMsg}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Keep Op and the cause (timeouts, ctx errors) but not the query.
		return fmt.Errorf("wechat: %s: %w", api, &url.Error{Op: ue.Op, URL: stripQuery(ue.URL), Err: ue.Err})
	}
	msg := err.Error()
	if m := sdkErrRe.FindStringSubmatch(msg); m != nil {
		code, convErr := strconv.Atoi(m[1])
		if convErr == nil {
			return &APIError{API: api, Code: code, Msg: m[2]}
		}
	}
	if m := sdkStatusRe.FindStringSubmatch(msg); m != nil {
		status, _ := strconv.Atoi(m[1])
		return &HTTPError{API: api, StatusCode: status}
	}
	return fmt.Errorf("wechat: %s: %w", api, err)
}

func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	u.RawQuery = ""
	return u.String()
}

// ErrCode returns the WeChat errcode carried by err, if any.
func ErrCode(err error) (int, bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code, true
	}
	return 0, false
}

// tokenCode, transientCode and permanentCode implement the table in the
// package doc.
func tokenCode(code int) bool { return code == 40001 || code == 42001 || code == 40014 }

func transientCode(code int) bool {
	switch code {
	case -1, 45009, 45011, 45066:
		return true
	}
	return false
}

func permanentCode(code int) bool {
	switch code {
	case 43004, 43019, 40003, 45015, 45047, 45028, 48003, 45067, 40037, 40007, 48001,
		43101, 47003, 40113, 45001, 61501:
		return true
	}
	return false
}

// IsTokenError reports whether err is a stale or invalid access_token.
func IsTokenError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.API != apiToken && tokenCode(ae.Code)
}

// IsPermanent reports whether retrying err cannot succeed (see the package doc).
func IsPermanent(err error) bool {
	if errors.Is(err, ErrInvalidRequest) {
		return true
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.API == apiToken {
		return !transientCode(ae.Code)
	}
	return permanentCode(ae.Code)
}

// IsTransient reports whether err may succeed if retried later (see the package doc).
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return transientCode(ae.Code) || IsTokenError(err)
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500 || he.StatusCode == 429
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF)
}

// RetryAfter returns the least wait WeChat asks for before retrying err at
// now, or 0 when it gives no hint.
func RetryAfter(err error, now time.Time) time.Duration {
	code, ok := ErrCode(err)
	if !ok {
		return 0
	}
	switch code {
	case 45011, 45066:
		return time.Minute
	case 45009:
		t := now.In(chinatime.Zone)
		midnight := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, chinatime.Zone)
		return max(midnight.Sub(now), time.Minute)
	}
	return 0
}
