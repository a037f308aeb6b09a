package console

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// BindCodeTTL is how long a staff binding code may be sent.
const BindCodeTTL = 10 * time.Minute

// StaffBinder binds the WeChat account that sends a console-issued code to
// the staff member who asked for it, as a preview recipient. It implements
// bot.StaffBinder.
type StaffBinder struct {
	Store *store.Store
	Now   func() time.Time
}

// BindStaff takes code (once) and registers openid under the name it was
// issued for.
func (b StaffBinder) BindStaff(ctx context.Context, code, openid string) (string, bool, error) {
	c, ok, err := b.Store.TakeStaffBindCode(ctx, code)
	if err != nil || !ok {
		return "", false, err
	}
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	if now.After(c.Expires) {
		return "", false, nil
	}
	rec := store.PreviewRecipient{OpenID: openid, Name: c.Name, AddedBy: c.User, AddedAt: now}
	if err := b.Store.PutPreviewRecipient(ctx, rec); err != nil {
		return "", false, err
	}
	if err := b.Store.Audit(ctx, store.AuditEntry{At: now, User: c.User, Action: "preview_recipient.bind", Target: openid, Detail: c.Name}); err != nil {
		return c.Name, true, fmt.Errorf("console: audit staff bind: %w", err)
	}
	return c.Name, true, nil
}

type bindData struct {
	previewData
	Code    string
	Expires time.Time
	Name    string
}

// previewBindCode issues a one-time code for the signed-in staff member to
// send from their WeChat.
func (s *Server) previewBindCode(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		name = u.Name
	}
	if _, err := checkRecipient("placeholder", name); err != nil {
		back(w, r, "/console/preview-recipients", "err", "未生成绑定码："+err.Error())
		return
	}
	exp := s.opts.Now().Add(BindCodeTTL)
	var code string
	for range 5 {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c := fmt.Sprintf("%06d", n.Int64())
		ok, err := s.st.PutStaffBindCode(r.Context(), c, store.StaffBindCode{User: u.Name, Name: name, Expires: exp}, BindCodeTTL)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ok {
			code = c
			break
		}
	}
	if code == "" {
		back(w, r, "/console/preview-recipients", "err", "暂时无法生成绑定码，请稍后再试")
		return
	}
	list, err := s.previews.all(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "preview_recipients", "预览名单", bindData{previewData: previewData{List: list}, Code: code, Expires: exp, Name: name})
}
