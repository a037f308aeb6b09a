package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/store"
)

// communityRoutes serves the 社区 pages: the registry, each community's
// QR code and print poster. Everyone may look and download; approvers edit.
func (s *Server) communityRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/communities", s.requirePage(RoleEditor, s.communityList))
	m.HandleFunc("POST /console/communities", s.requirePage(RoleApprover, s.communityCreate))
	m.HandleFunc("POST /console/communities/import", s.requirePage(RoleApprover, s.communityImport))
	m.HandleFunc("GET /console/communities/{id}", s.requirePage(RoleEditor, s.communityDetail))
	m.HandleFunc("POST /console/communities/{id}", s.requirePage(RoleApprover, s.communityEdit))
	m.HandleFunc("GET /console/communities/{id}/poster.png", s.requirePage(RoleEditor, s.communityPoster))
	m.HandleFunc("GET /console/communities/{id}/qrcode.png", s.requirePage(RoleEditor, s.communityQRCode))
}

type communitiesData struct {
	Enabled bool
	List    []communities.Listed
	Form    communities.Input
}

type communityData struct {
	Community communities.Community
	Name      string
	Followers int64
	Form      communities.Input
	Version   int64
	QR        bool // posters can be made (WeChat API configured)
	Ticket    store.QRTicket
}

// directory reads the registry for naming records on a page; without a
// registry every record shows as recorded.
func (s *Server) directory(r *http.Request) (communities.Directory, error) {
	if s.opts.Communities == nil {
		return communities.NewDirectory(nil), nil
	}
	return s.opts.Communities.Directory(r.Context())
}

func (s *Server) communityList(w http.ResponseWriter, r *http.Request) {
	s.renderCommunityList(w, r, http.StatusOK, communities.Input{Active: true}, "")
}

func (s *Server) renderCommunityList(w http.ResponseWriter, r *http.Request, status int, form communities.Input, msg string) {
	d := communitiesData{Enabled: s.opts.Communities != nil, Form: form}
	if d.Enabled {
		var err error
		if d.List, err = s.opts.Communities.List(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if msg == "" {
		msg = r.URL.Query().Get("err")
	}
	s.pageError(w, r, status, "communities", "社区", d, msg)
}

func communityForm(r *http.Request) communities.Input {
	return communities.Input{ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), Grids: r.PostFormValue("grids"),
		AdviserName: r.PostFormValue("adviser_name"), AdviserFirm: r.PostFormValue("adviser_firm"),
		AdviserPhone: r.PostFormValue("adviser_phone"), AdviserHours: r.PostFormValue("adviser_hours"),
		Active: r.PostFormValue("active") == "1"}
}

func (s *Server) communityCreate(w http.ResponseWriter, r *http.Request) {
	if s.opts.Communities == nil {
		http.NotFound(w, r)
		return
	}
	u := userFrom(r.Context())
	in := communityForm(r)
	c, err := s.opts.Communities.Create(r.Context(), in, u.Name)
	if errors.Is(err, communities.ErrInvalid) {
		s.renderCommunityList(w, r, http.StatusBadRequest, in, "未保存："+err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "community.create", c.ID, c.Name)
	back(w, r, "/console/communities/"+url.PathEscape(c.ID), "msg", "已登记社区“"+c.Name+"”")
}

func (s *Server) communityImport(w http.ResponseWriter, r *http.Request) {
	if s.opts.Communities == nil {
		http.NotFound(w, r)
		return
	}
	u := userFrom(r.Context())
	res, err := s.opts.Communities.Import(r.Context(), s.st, u.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := fmt.Sprintf("导入完成：新登记 %d 个未命名社区，%d 条台账改记为社区编号", len(res.Registered), res.Resolved)
	if len(res.Unmatched) > 0 {
		msg += fmt.Sprintf("；%d 个台账社区名不在名册中，请先登记这些社区再导入", len(res.Unmatched))
	}
	s.audit(r.Context(), u.Name, "community.import", "", msg)
	back(w, r, "/console/communities", "msg", msg)
}

// community reads the community of the request's {id}; false when the
// response is written (404 or failure).
func (s *Server) community(w http.ResponseWriter, r *http.Request) (communities.Community, bool) {
	if s.opts.Communities == nil {
		http.NotFound(w, r)
		return communities.Community{}, false
	}
	c, err := s.opts.Communities.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return c, false
	}
	if err != nil {
		s.fail(w, r, err)
		return c, false
	}
	return c, true
}

func (s *Server) communityDetail(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	s.renderCommunity(w, r, http.StatusOK, c, communities.InputOf(c), c.Version, r.URL.Query().Get("err"))
}

func (s *Server) renderCommunity(w http.ResponseWriter, r *http.Request, status int, c communities.Community, form communities.Input, version int64, msg string) {
	n, err := s.st.CommunityFollowers(r.Context(), c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := communityData{Community: c, Name: communities.DisplayName(c), Followers: n, Form: form, Version: version,
		QR: s.opts.Posters != nil}
	if t, ok, err := s.st.CommunityQR(r.Context(), c.ID); err == nil && ok {
		d.Ticket = t
	}
	s.pageError(w, r, status, "community", "社区："+d.Name, d, msg)
}

func (s *Server) communityEdit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	u := userFrom(r.Context())
	in := communityForm(r)
	in.ID = c.ID
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	v, err := s.opts.Communities.Update(r.Context(), c.ID, in, version, u.Name)
	switch {
	case errors.Is(err, communities.ErrInvalid):
		s.renderCommunity(w, r, http.StatusBadRequest, c, in, version, "未保存："+err.Error())
		return
	case errors.Is(err, store.ErrVersion):
		s.renderCommunity(w, r, http.StatusConflict, c, in, version, "未保存：该社区已被他人修改，请核对下方最新内容后重新保存")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "community.edit", c.ID, fmt.Sprintf("version %d", v))
	back(w, r, "/console/communities/"+url.PathEscape(c.ID), "msg", fmt.Sprintf("已保存（第 %d 版）", v))
}

// qrFailure tells staff why no code or poster could be made.
func (s *Server) qrFailure(w http.ResponseWriter, r *http.Request, id string, err error) {
	var msg string
	switch {
	case errors.Is(err, communities.ErrNoFont):
		msg = "无法生成海报：海报字体不可用（请安装 fonts-wqy-microhei，或在配置 communities.poster_font 中指定中文字体文件）。可先下载二维码图片。"
	case errors.Is(err, communities.ErrInactive):
		msg = "该社区已停用，不生成二维码。如需使用，请先勾选“启用”并保存。"
	default:
		s.log.Error("community qr code", "community", id, "err", err)
		msg = "暂时无法从微信获取二维码，请稍后再试。"
	}
	back(w, r, "/console/communities/"+url.PathEscape(id), "err", msg)
}

func (s *Server) communityPoster(w http.ResponseWriter, r *http.Request) {
	s.communityImage(w, r, (*communities.Posters).Poster, "社区二维码海报-", "community.poster")
}

func (s *Server) communityQRCode(w http.ResponseWriter, r *http.Request) {
	s.communityImage(w, r, (*communities.Posters).QRImage, "社区二维码-", "")
}

// communityImage sends the PNG that image makes of community {id}'s QR
// code, named prefix and the community's name; action, when not "", is
// audited.
func (s *Server) communityImage(w http.ResponseWriter, r *http.Request, image func(*communities.Posters, context.Context, string) ([]byte, error), prefix, action string) {
	c, ok := s.community(w, r)
	if !ok {
		return
	}
	if s.opts.Posters == nil {
		back(w, r, "/console/communities/"+url.PathEscape(c.ID), "err", "未配置微信公众号接口，无法生成二维码")
		return
	}
	b, err := image(s.opts.Posters, r.Context(), c.ID)
	if err != nil {
		s.qrFailure(w, r, c.ID, err)
		return
	}
	if action != "" {
		s.audit(r.Context(), userFrom(r.Context()).Name, action, c.ID, "")
	}
	sendPNG(w, prefix+communities.DisplayName(c)+".png", b)
}

// sendPNG sends an image as a download named name (RFC 6266 with an ASCII
// fallback for old browsers).
func sendPNG(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `attachment; filename="qrcode.png"; filename*=UTF-8''`+url.PathEscape(name))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
