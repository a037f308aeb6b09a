package wxsim

import (
	"cmp"
	"net/http"
	"slices"
)

// maxTagBatch is WeChat's limit of openids per batchtagging call.
const maxTagBatch = 50

type openidPage struct {
	Count      int     `json:"count"`
	Data       openids `json:"data"`
	NextOpenID string  `json:"next_openid"`
}

// userList is user/get's answer; user/tag/get's has no total.
type userList struct {
	Total int `json:"total"`
	openidPage
}

type openids struct {
	OpenID []string `json:"openid"`
}

func newOpenidPage(page []string) openidPage {
	p := openidPage{Count: len(page), Data: openids{OpenID: page}}
	if len(page) > 0 {
		p.NextOpenID = page[len(page)-1]
	}
	return p
}

// IsFollower reports whether openid currently follows the account.
func (s *Server) IsFollower(openid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isFollowerLocked(openid)
}

// AddTag seeds a tag, creating it unless one has that name, and tags openids,
// silently subscribing those that do not follow yet. It returns the tag id.
func (s *Server) AddTag(name string, openids []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tagByNameLocked(name)
	if t == nil {
		t = s.createTagLocked(name)
	}
	for _, o := range openids {
		s.subscribeLocked(o)
		t.members[o] = struct{}{}
		s.followers[o].tags[t.id] = struct{}{}
	}
	return t.id
}

func (s *Server) tagByNameLocked(name string) *tag {
	for _, t := range s.tags {
		if t.name == name {
			return t
		}
	}
	return nil
}

func (s *Server) createTagLocked(name string) *tag {
	t := &tag{id: s.nextTagID, name: name, members: map[string]struct{}{}}
	s.nextTagID++
	s.tags[t.id] = t
	return t
}

// tagMembersLocked lists a tag's followers in subscription order, the order
// next_openid paging relies on.
func (s *Server) tagMembersLocked(t *tag) []string {
	list := make([]string, 0, len(t.members))
	for o := range t.members {
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b string) int { return cmp.Compare(s.followers[a].seq, s.followers[b].seq) })
	return list
}

func (s *Server) handleUserGet(r *http.Request) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	page, e := s.pageAfterLocked(s.order, r.URL.Query().Get("next_openid"), s.opts.UserPageSize)
	if e != nil {
		return *e
	}
	return userList{Total: len(s.order), openidPage: newOpenidPage(page)}
}

func (s *Server) handleTagCreate(r *http.Request) any {
	var req struct {
		Tag struct {
			Name string `json:"name"`
		} `json:"tag"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if req.Tag.Name == "" || len(req.Tag.Name) > 30 {
		return errResp(45158, "tag name too long")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tagByNameLocked(req.Tag.Name) != nil {
		return errResp(45157, "invalid tag name")
	}
	t := s.createTagLocked(req.Tag.Name)
	type tagJSON struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	return struct {
		Tag tagJSON `json:"tag"`
	}{tagJSON{t.id, t.name}}
}

func (s *Server) handleTagGet(*http.Request) any {
	type tagJSON struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags := make([]tagJSON, 0, len(s.tags))
	for _, t := range s.tags {
		tags = append(tags, tagJSON{t.id, t.name, len(t.members)})
	}
	slices.SortFunc(tags, func(a, b tagJSON) int { return a.ID - b.ID })
	return struct {
		Tags []tagJSON `json:"tags"`
	}{tags}
}

func (s *Server) handleBatchTag(add bool) func(*http.Request) any {
	return func(r *http.Request) any {
		var req struct {
			OpenIDList []string `json:"openid_list"`
			TagID      int      `json:"tagid"`
		}
		if e := decodeBody(r, &req); e != nil {
			return *e
		}
		if len(req.OpenIDList) == 0 || len(req.OpenIDList) > maxTagBatch {
			return errResp(40032, "invalid openid list size")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.tags[req.TagID]
		if t == nil {
			return errResp(45159, "invalid tag id")
		}
		for _, o := range req.OpenIDList {
			if !s.isFollowerLocked(o) {
				return errResp(40003, "invalid openid")
			}
		}
		for _, o := range req.OpenIDList {
			if add {
				t.members[o] = struct{}{}
				s.followers[o].tags[t.id] = struct{}{}
			} else {
				delete(t.members, o)
				delete(s.followers[o].tags, t.id)
			}
		}
		return errResp(0, "ok")
	}
}

func (s *Server) handleTagUsers(r *http.Request) any {
	var req struct {
		TagID      int    `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tags[req.TagID]
	if t == nil {
		return errResp(45159, "invalid tag id")
	}
	page, e := s.pageAfterLocked(s.tagMembersLocked(t), req.NextOpenID, s.opts.UserPageSize)
	if e != nil {
		return *e
	}
	return newOpenidPage(page)
}

func (s *Server) handleTagIDList(r *http.Request) any {
	var req struct {
		OpenID string `json:"openid"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isFollowerLocked(req.OpenID) {
		return errResp(40003, "invalid openid")
	}
	ids := make([]int, 0)
	for id := range s.followers[req.OpenID].tags {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return struct {
		TagIDList []int `json:"tagid_list"`
	}{ids}
}
