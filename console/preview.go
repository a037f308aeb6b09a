package console

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/pufa-dev/pufa/store"
)

// PreviewList is the office's register of staff who may receive campaign
// previews: the fixed entries of console.preview_recipients and those
// approvers keep in Redis from the console. It implements
// campaigns.PreviewRecipients, so the console, the CLI and the API all
// send previews to these people only.
type PreviewList struct {
	Fixed []store.PreviewRecipient
	Store *store.Store
}

// PreviewRecipient returns the name of a registered openid.
func (l PreviewList) PreviewRecipient(ctx context.Context, openid string) (string, bool, error) {
	for _, r := range l.Fixed {
		if r.OpenID == openid {
			return r.Name, true, nil
		}
	}
	if l.Store == nil {
		return "", false, nil
	}
	r, ok, err := l.Store.PreviewRecipient(ctx, openid)
	return r.Name, ok, err
}

// previewEntry is one recipient as the console shows it.
type previewEntry struct {
	store.PreviewRecipient
	Fixed bool // from the config: not removable here
}

// all lists the fixed recipients, then the stored ones (a stored entry
// shadowed by a fixed one is left out).
func (l PreviewList) all(ctx context.Context) ([]previewEntry, error) {
	out := make([]previewEntry, 0, len(l.Fixed))
	seen := map[string]bool{}
	for _, r := range l.Fixed {
		out = append(out, previewEntry{r, true})
		seen[r.OpenID] = true
	}
	stored, err := l.Store.PreviewRecipients(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range stored {
		if !seen[r.OpenID] {
			out = append(out, previewEntry{r, false})
		}
	}
	return out, nil
}

// openIDRe is what a WeChat openid looks like (28 characters of base64url
// in practice); the bound keeps junk out of the register.
var openIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// maxRecipientName bounds a display name, in characters.
const maxRecipientName = 32

// checkRecipient normalises and checks a recipient; the error is Chinese,
// for the approver who typed it.
func checkRecipient(openid, name string) (store.PreviewRecipient, error) {
	openid, name = strings.TrimSpace(openid), strings.TrimSpace(name)
	if !openIDRe.MatchString(openid) {
		return store.PreviewRecipient{}, fmt.Errorf("openid“%s”格式不对：应为 6–64 位字母、数字、- 或 _（在公众号后台用户管理中可查）", openid)
	}
	if name == "" || len([]rune(name)) > maxRecipientName || strings.ContainsAny(name, "\r\n\t") {
		return store.PreviewRecipient{}, fmt.Errorf("请填写接收人姓名（1–%d 个字）", maxRecipientName)
	}
	return store.PreviewRecipient{OpenID: openid, Name: name}, nil
}

// ParsePreviewRecipients reads console.preview_recipients entries,
// "openid:显示名".
func ParsePreviewRecipients(entries []string) ([]store.PreviewRecipient, error) {
	out := make([]store.PreviewRecipient, 0, len(entries))
	for _, e := range entries {
		openid, name, _ := strings.Cut(e, ":")
		r, err := checkRecipient(openid, name)
		if err != nil {
			return nil, fmt.Errorf("console: preview recipient %q is not openid:name: %w", e, err)
		}
		out = append(out, r)
	}
	return out, nil
}
