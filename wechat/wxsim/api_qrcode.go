package wxsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// showQRCodePath serves a ticket's image, as mp.weixin.qq.com does.
const showQRCodePath = "/cgi-bin/showqrcode"

// qrURLPrefix is the form of the URL WeChat's QR codes encode.
const qrURLPrefix = "http://weixin.qq.com/q/"

// qrCodes are the permanent QR codes issued: like WeChat, one scene_str
// always gets the same ticket.
type qrCodes struct {
	mu       sync.Mutex
	byScene  map[string]string // scene → ticket
	byTicket map[string]string // ticket → scene
}

func (q *qrCodes) issue(scene string) (ticket string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.byScene[scene]; ok {
		return t
	}
	if q.byScene == nil {
		q.byScene, q.byTicket = map[string]string{}, map[string]string{}
	}
	t := "gQsim" + randomHex(16)
	q.byScene[scene], q.byTicket[t] = t, scene
	return t
}

func (q *qrCodes) scene(ticket string) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s, ok := q.byTicket[ticket]
	return s, ok
}

func qrURL(ticket string) string { return qrURLPrefix + ticket }

// handleQRCodeCreate is qrcode/create for permanent string scenes, the
// kind pufa prints on community posters.
func (s *Server) handleQRCodeCreate(r *http.Request) any {
	var req struct {
		ActionName string `json:"action_name"`
		ActionInfo struct {
			Scene struct {
				SceneStr string `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if req.ActionName != "QR_LIMIT_STR_SCENE" {
		return errResp(40053, "invalid action name")
	}
	scene := req.ActionInfo.Scene.SceneStr
	if scene == "" || len(scene) > 64 {
		return errResp(40051, "invalid scene_str length")
	}
	t := s.qr.issue(scene)
	return struct {
		Ticket string `json:"ticket"`
		URL    string `json:"url"`
	}{t, qrURL(t)}
}

// serveShowQRCode answers showqrcode with a scannable PNG of the ticket's
// URL; an unknown ticket gets WeChat's JSON error.
func (s *Server) serveShowQRCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.apiCalls[showQRCodePath]++
	s.mu.Unlock()
	ticket := r.URL.Query().Get("ticket")
	if _, ok := s.qr.scene(ticket); !ok {
		writeJSON(w, http.StatusOK, errResp(40097, "invalid ticket"))
		return
	}
	png, err := qrcode.Encode(qrURL(ticket), qrcode.Medium, 430)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errResp(-1, "wxsim: encoding qr: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}

// QRScene returns the scene of a ticket or of the URL its code encodes,
// as a phone scanning the code would learn it.
func (s *Server) QRScene(ticketOrURL string) (string, bool) {
	return s.qr.scene(strings.TrimPrefix(ticketOrURL, qrURLPrefix))
}

// pageScene turns what the chat page's scene field holds into a scene: the
// URL or ticket of a code issued here (what a phone reads from a poster),
// or a bare scene as typed.
func (s *Server) pageScene(typed string) string {
	typed = strings.TrimSpace(typed)
	if scene, ok := s.QRScene(typed); ok {
		return scene
	}
	return typed
}

// ScanQRCode is openid scanning a permanent QR code (by ticket or the URL
// it encodes): a subscribe with EventKey qrscene_<scene> from a
// non-follower, a SCAN with the bare scene from a follower.
func (s *Server) ScanQRCode(ctx context.Context, openid, ticketOrURL string) (Reply, error) {
	scene, ok := s.QRScene(ticketOrURL)
	if !ok {
		return Reply{}, errors.New("wxsim: scan: unknown QR ticket")
	}
	if s.IsFollower(openid) {
		return s.SendEvent(ctx, openid, "SCAN", scene)
	}
	rep, err := s.SendEvent(ctx, openid, "subscribe", "qrscene_"+scene)
	if err != nil {
		return rep, fmt.Errorf("wxsim: scan: %w", err)
	}
	return rep, nil
}
