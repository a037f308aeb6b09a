package store

// Key layout. Every key starts with the configured prefix (default "pufa:").
// Keys holding one resident's personal data carry the openid as a hash tag,
// {openid}, so they share a Cluster slot and can be erased together.
//
//	callback:{<dedup id>}            string  dedup record of one callback: "p" while
//	                                         processing (lease TTL), "r"+reply body when
//	                                         answered (TTL ≥ 60 s, default 5 min)
//	user:{<openid>}                  hash    profile: community, subscribed_at
//	user:{<openid>}:last             string  last question asked (for 转人工), 1 day TTL
//	user:{<openid>}:consults         set     ids of the user's consultation requests
//	user:{<openid>}:more             hash    "更多" cursor: q (the question), next (offset), 1 h TTL
//	community:<id>:followers         set     openids of current followers from that community
//	consult:seq                      string  last consultation id issued
//	consult:<id>                     hash    one consultation request: openid, question,
//	                                         status (new|answered|closed), created
//	consult:index                    zset    consultation ids scored by creation time
//	stats:<yyyymmdd>                 hash    aggregate counters of one day (Asia/Shanghai),
//	                                         never expire, never personal: see Metric*
//	topics:<yyyymmdd>                zset    questions per topic (FAQ entry or law chapter) that day
//	wxcache:<name>                   string  WeChat SDK cache entries (access token)

func (s *Store) keyCallback(id string) string     { return s.key("callback", tag(id)) }
func (s *Store) keyUser(openid string) string     { return s.key("user", tag(openid)) }
func (s *Store) keyUserLast(openid string) string { return s.keyUser(openid) + ":last" }
func (s *Store) keyUserConsults(openid string) string {
	return s.keyUser(openid) + ":consults"
}
func (s *Store) keyCommunityFollowers(id string) string { return s.key("community", id, "followers") }
func (s *Store) keyConsultSeq() string                  { return s.key("consult", "seq") }
func (s *Store) keyConsult(id string) string            { return s.key("consult", id) }
func (s *Store) keyConsultIndex() string                { return s.key("consult", "index") }
func (s *Store) keyStats(day string) string             { return s.key("stats", day) }
func (s *Store) keyWXCache(name string) string          { return s.key("wxcache", name) }

// userKeys lists every key holding the personal data of one resident; erasure
// deletes them all. A package that adds per-user state adds its key here.
func (s *Store) userKeys(openid string) []string {
	return []string{s.keyUser(openid), s.keyUserLast(openid), s.keyUserConsults(openid), s.keyUserMore(openid)}
}

func (s *Store) keyUserMore(openid string) string { return s.keyUser(openid) + ":more" }
func (s *Store) keyTopics(day string) string      { return s.key("topics", day) }
