// Package sms is the client of a text-message gateway of the kind Chinese
// cloud providers run (Aliyun SMS, Tencent Cloud SMS): a message is a
// template the provider approved, identified by its code, filled with
// parameters and signed with an approved signature name (签名); the gateway
// answers each number with a code, and refuses numbers that received too
// many messages recently.
//
// The wire protocol is pufa's own minimal rendering of that model (one
// number per request, JSON, an HMAC-SHA256 signature over the body with the
// access key secret); the codes are those the Aliyun gateway uses. An
// adapter to a provider's real SDK implements the same Send. package smssim
// simulates the gateway for the demo and the tests.
package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Message is one templated text message to one phone number.
type Message struct {
	Phone        string            `json:"phone"`
	SignName     string            `json:"sign_name"`
	TemplateCode string            `json:"template_code"`
	Params       map[string]string `json:"params,omitempty"`
	OutID        string            `json:"out_id,omitempty"` // the caller's reference, echoed back
}

// Reply is the gateway's answer.
type Reply struct {
	Code      string `json:"code"` // CodeOK or an error code
	Message   string `json:"message"`
	BizID     string `json:"biz_id,omitempty"` // the gateway's id of an accepted message
	RequestID string `json:"request_id"`
}

// Codes the gateway answers with (Aliyun's names).
const (
	CodeOK               = "OK"
	CodeInvalidNumber    = "isv.MOBILE_NUMBER_ILLEGAL" // not a mainland mobile number
	CodeTemplateIllegal  = "isv.SMS_TEMPLATE_ILLEGAL"  // unknown or not approved template
	CodeSignatureIllegal = "isv.SMS_SIGNATURE_ILLEGAL" // unknown or not approved signature
	CodeMissingParams    = "isv.TEMPLATE_MISSING_PARAMETERS"
	CodeNumberLimit      = "isv.BUSINESS_LIMIT_CONTROL" // this number reached its per-minute/hour/day limit
	CodeDayLimit         = "isv.DAY_LIMIT_CONTROL"      // the account's daily limit
	CodeNoBalance        = "isv.AMOUNT_NOT_ENOUGH"
	CodeOutOfService     = "isv.OUT_OF_SERVICE"
	CodeBadKey           = "InvalidAccessKeyId.NotFound"
	CodeBadSignature     = "SignatureDoesNotMatch"
	CodeThrottling       = "Throttling.User" // too many requests per second
	CodeSystemError      = "isp.SYSTEM_ERROR"
)

// Error is a gateway answer other than OK: the message was not sent.
type Error struct {
	Code, Message, RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sms: gateway refused: %s %s (request %s)", e.Code, e.Message, e.RequestID)
}

// HTTPError is a non-200 status without a gateway answer: the message may
// or may not have been sent.
type HTTPError struct{ StatusCode int }

func (e *HTTPError) Error() string { return fmt.Sprintf("sms: http status %d", e.StatusCode) }

// ErrInvalidRequest marks a message refused before any request was made.
var ErrInvalidRequest = errors.New("sms: invalid request")

// ErrorCode returns the gateway's code of err, if the gateway answered.
func ErrorCode(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return "", false
}

// IsPermanent reports whether sending the same message to the same number
// again cannot succeed (soon): a bad number, template or signature, or a
// number that reached its limit (pufa sends one message per number per run;
// a number at its limit has had enough messages today).
func IsPermanent(err error) bool {
	code, ok := ErrorCode(err)
	if !ok {
		return errors.Is(err, ErrInvalidRequest)
	}
	switch code {
	case CodeThrottling, CodeSystemError:
		return false
	}
	return true
}

// IsAccountLevel reports whether err fails every number alike (template,
// signature, credentials, balance, the account's daily limit): continuing
// only produces the same refusal for every resident.
func IsAccountLevel(err error) bool {
	code, _ := ErrorCode(err)
	switch code {
	case CodeTemplateIllegal, CodeSignatureIllegal, CodeMissingParams, CodeDayLimit, CodeNoBalance,
		CodeOutOfService, CodeBadKey, CodeBadSignature:
		return true
	}
	return false
}

var phoneRe = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// ValidPhone reports whether s is a mainland China mobile number written
// as 11 digits (no +86, spaces or dashes).
func ValidPhone(s string) bool { return phoneRe.MatchString(s) }

// Options configure a Client.
type Options struct {
	Endpoint        string // e.g. https://sms.example.com or the demo's http://127.0.0.1:8080/sms
	AccessKeyID     string
	AccessKeySecret string
	SignName        string // the approved signature, e.g. 某某街道办事处
	HTTP            *http.Client
}

// Client sends messages through the gateway. It is safe for concurrent use.
type Client struct {
	opts Options
}

// New checks opts and returns a Client.
func New(opts Options) (*Client, error) {
	switch {
	case opts.Endpoint == "":
		return nil, errors.New("sms: endpoint is required")
	case opts.AccessKeyID == "" || opts.AccessKeySecret == "":
		return nil, errors.New("sms: access key id and secret are required")
	case opts.SignName == "":
		return nil, errors.New("sms: sign name is required")
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	opts.Endpoint = strings.TrimRight(opts.Endpoint, "/")
	return &Client{opts: opts}, nil
}

// Sign is the signature of body under secret, as the gateway checks it.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignatureHeader carries "<access key id>:<signature>".
const SignatureHeader = "X-Sms-Signature"

// Send sends one message; the client's signature name is used when
// m.SignName is empty. It returns the gateway's id of the accepted message.
func (c *Client) Send(ctx context.Context, m Message) (string, error) {
	if !ValidPhone(m.Phone) {
		return "", fmt.Errorf("%w: %q is not an 11-digit mobile number", ErrInvalidRequest, m.Phone)
	}
	if m.TemplateCode == "" {
		return "", fmt.Errorf("%w: no template code", ErrInvalidRequest)
	}
	if m.SignName == "" {
		m.SignName = c.opts.SignName
	}
	body, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.Endpoint+"/send", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, c.opts.AccessKeyID+":"+Sign(c.opts.AccessKeySecret, body))
	resp, err := c.opts.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: send: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", fmt.Errorf("sms: send: read answer: %w", err)
	}
	var r Reply
	if err := json.Unmarshal(raw, &r); err != nil || r.Code == "" {
		if resp.StatusCode != http.StatusOK {
			return "", &HTTPError{StatusCode: resp.StatusCode}
		}
		return "", fmt.Errorf("sms: send: unreadable answer (may have been sent): %q", raw)
	}
	if r.Code != CodeOK {
		return "", &Error{Code: r.Code, Message: r.Message, RequestID: r.RequestID}
	}
	return r.BizID, nil
}
